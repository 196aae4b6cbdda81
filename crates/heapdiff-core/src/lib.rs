//! heapdiff-core: a heap snapshot engine with Chrome DevTools' semantics.
//!
//! It streams a V8 `.heapsnapshot` into a compact graph ([`parse`]), then computes what
//! DevTools computes — dominators, retained sizes, distances, class aggregates, statistics —
//! and answers queries on the result ([`Snapshot`]). It knows nothing of Node.
//!
//! ```no_run
//! use heapdiff_core::Snapshot;
//! let snapshot = Snapshot::open("app.heapsnapshot".as_ref(), None)?;
//! let mut classes = snapshot.class_summaries();
//! classes.sort_by(|a, b| b.retained_size.cmp(&a.retained_size));
//! for c in classes.iter().take(10) {
//!     println!("{:>12} {}", c.retained_size, c.name);
//! }
//! # Ok::<(), heapdiff_core::Error>(())
//! ```

mod bits;
mod classes;
mod diff;
mod distances;
mod dom;
mod dominators;
mod error;
mod graph;
mod ids;
mod json;
mod leaks;
mod memory;
mod parse;
mod paths;
#[cfg(test)]
mod random;
mod retained;
mod roots;
mod sites;
mod snapshot;
mod stats;
mod threads;
mod weakmap;

pub use classes::ClassSummary;
pub use diff::{diff, pair, Census, ClassDiff, Diff, DiffOptions, Identity, NewObject, Pairing, SiteDiff, Totals};
pub use sites::{Frame, Site, SiteMode};
pub use distances::{BASE_SYSTEM_DISTANCE, NO_DISTANCE};
pub use error::{Error, ErrorKind, Result};
pub use leaks::{holdings, suspects, Holding, Suspect, Suspects};
pub use graph::{FunctionInfo, Graph, Location, TraceNode};
pub use parse::{parse, parse_file, parse_file_with, Cores, ParseOptions};
pub use retained::RetainedSizes;
pub use snapshot::{EdgeInfo, Keep, NodeInfo, OpenOptions, Progress, RetainerPath, Snapshot, Summary, When};
pub use stats::Statistics;
