//! An analysed snapshot: the graph plus everything DevTools computes for it, in DevTools'
//! phase order (flags → dominators → shallow sizes → retained sizes → distances → classes →
//! statistics), with the queries the API offers.

use crate::classes::{self, ClassSummary, Classes, PlainObjects};
use crate::distances::{self, Distances};
use crate::dominators::{self, DominatedNodes, Dominators, EssentialEdges};
use crate::error::{Error, ErrorKind, Result};
use crate::diff::Census;
use crate::graph::Graph;
use crate::parse::{Cores, ParseOptions};
use crate::paths;
use crate::retained::{self, RetainedSizes};
use crate::roots::{self, ROOT};
use crate::stats::{self, Statistics};
use crate::threads::{both, join};
use crate::weakmap::EphemeronNames;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Progress of long work: `(phase, done, total)`; parsing counts bytes, analysis counts steps.
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64, u64);

/// What one node is, as the API reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    pub ordinal: u32,
    pub id: u64,
    pub node_type: String,
    pub name: String,
    pub class_name: String,
    pub self_size: u64,
    pub retained_size: u64,
    pub distance: i32,
    pub edge_count: u32,
    pub detachedness: Option<u8>,
    pub trace_node_id: Option<u32>,
}

/// One reference, seen from either end.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeInfo {
    pub edge_type: String,
    /// The property name, or the element / hidden index as text.
    pub name: String,
    /// How the edge reads in a path (`.name`, `[3]`, ...).
    pub step: String,
    /// The other end: the target for outgoing edges, the source for retainers.
    pub node: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetainerPath {
    /// Nodes from the start of the path to the node itself.
    pub nodes: Vec<u32>,
    /// `edges[i]` leads from `nodes[i]` to `nodes[i + 1]`.
    pub edges: Vec<EdgeInfo>,
    pub text: String,
    /// The path from a module's scope on, when it passes through one (see `paths::scoped_path`),
    /// else `text`.
    pub short: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub node_count: u64,
    pub edge_count: u64,
    pub total_size: u64,
    pub class_count: u64,
    pub user_root_count: u64,
    pub has_allocation_traces: bool,
    pub statistics: Statistics,
    /// Bytes the analysed snapshot holds in memory.
    pub memory_bytes: u64,
}

fn not_kept() -> Error {
    Error::new(ErrorKind::NotKept, "this snapshot was opened keeping only its classes: it has no edge names, distances or retainer paths")
}

/// When a phase that not every use of a snapshot needs is computed: its distances (and so its
/// retainer paths), or its classes' retained sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum When {
    /// While it is opened (what `analyze` shows needs both).
    #[default]
    Opening,
    /// On first use, if ever. A diff's snapshots need neither distances nor, unless their new
    /// objects are listed, retainer paths. The class retained sizes of the one loaded last wait
    /// for the pairing of objects (see [`crate::pair`]), which works meanwhile on the other
    /// core; class retained sizes are computed at once if other snapshots are still being
    /// opened, as whatever uses them waits for those anyway.
    FirstUse,
}

/// What a snapshot keeps once opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Keep {
    /// Everything: every query works.
    #[default]
    All,
    /// What its classes, sizes, dominator tree and allocation sites need, as a diff compares
    /// them: the values of string objects go once parsed (see [`Graph::drop_string_values`]),
    /// and the edges' names and types once the phases that read them are done, before the
    /// dominators, so that two snapshots analysed at once hold less at their peak. Nodes,
    /// edges, distances and retainer paths cannot be asked for.
    Classes,
}

/// How a snapshot is opened: what is computed at once, what is kept, and on how many cores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    pub distances: When,
    pub class_retained: When,
    pub keep: Keep,
    pub cores: Cores,
}

pub struct Snapshot {
    graph: Graph,
    idom: Vec<u32>,
    retained: RetainedSizes,
    distances: OnceLock<Distances>,
    /// The dominator tree's child lists (8 B per node): built for the class aggregates and
    /// dropped; built again, and kept, by the first query that needs them.
    dominated: OnceLock<DominatedNodes>,
    classes: Classes,
    /// Indexed by class, members or not, with their retained sizes; their distances only if
    /// computed while opening. Set while opening, or by the first use (from `unretained`).
    class_stats: OnceLock<Vec<ClassSummary>>,
    /// `class_stats` without their retained sizes, when those were left for first use, and the
    /// dominator tree's child lists that use takes (made while opening, with the cores free).
    unretained: Vec<ClassSummary>,
    unretained_dominated: Mutex<Option<DominatedNodes>>,
    /// Whether `class_stats` carry distances (computed while opening).
    class_distances: bool,
    statistics: Statistics,
    user_root_count: usize,
    /// Node ordinals sorted by id, for lookups by id; built on the first lookup.
    by_id: OnceLock<Vec<u32>>,
    keep: Keep,
    /// With [`Keep::Classes`], the plain objects' properties: to classify this snapshot by
    /// another's definitions (see [`Snapshot::census`]) without the edges' names.
    plain: Option<PlainObjects>,
}

impl Snapshot {
    /// Parses and analyses the snapshot at `path`.
    pub fn open(path: &Path, progress: Option<Progress>) -> Result<Snapshot> {
        Snapshot::open_with(path, progress, OpenOptions::default())
    }

    /// [`Snapshot::open`], as `options` ask.
    pub fn open_with(path: &Path, mut progress: Option<Progress>, options: OpenOptions) -> Result<Snapshot> {
        let _busy = Busy::enter();
        // What a diff does not show goes as early as it can: the string values as they are read.
        let parse = ParseOptions { cores: options.cores, drop_string_values: options.keep == Keep::Classes };
        let total = std::fs::metadata(path)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot open: {e}")).with_file(path))?
            .len();
        let graph = match progress.as_mut() {
            Some(p) => {
                let mut bytes = |done: u64| p("parse", done, total);
                crate::parse::parse_file_with(path, Some(&mut bytes), parse)?
            }
            None => crate::parse::parse_file_with(path, None, parse)?,
        };
        Ok(Snapshot::analyze_busy(graph, progress, Busy::alone() && options.keep == Keep::All, options))
    }

    /// [`Snapshot::analyze`], as `options` ask.
    pub fn analyze_with(graph: Graph, progress: Option<Progress>, options: OpenOptions) -> Snapshot {
        let _busy = Busy::enter();
        Snapshot::analyze_busy(graph, progress, Busy::alone() && options.keep == Keep::All, options)
    }

    /// Runs every analysis phase on a parsed graph: on two threads, unless other snapshots are
    /// being opened or analysed meanwhile (see [`Snapshot::analyze_in_turn`]).
    pub fn analyze(graph: Graph, progress: Option<Progress>) -> Snapshot {
        let _busy = Busy::enter();
        Snapshot::analyze_busy(graph, progress, Busy::alone(), OpenOptions::default())
    }

    /// Runs the dominators first, on this thread, and the other phases after them: slower
    /// alone, but the dominators' temporaries are gone before the other phases allocate, so the
    /// peak is lower. What `analyze` does when other snapshots keep the cores busy (a diff, a
    /// leak series); if no other snapshot is being opened or analysed by the time the
    /// dominators are done, the phases after them take a second thread.
    pub fn analyze_in_turn(graph: Graph, progress: Option<Progress>) -> Snapshot {
        let _busy = Busy::enter();
        Snapshot::analyze_busy(graph, progress, false, OpenOptions::default())
    }

    /// `two_threads` only with [`Keep::All`].
    fn analyze_busy(mut graph: Graph, mut progress: Option<Progress>, two_threads: bool, options: OpenOptions) -> Snapshot {
        let OpenOptions { distances: when, class_retained, keep, .. } = options;
        if keep == Keep::Classes {
            graph.drop_string_values();
        }
        const STEPS: u64 = 6;
        let mut step = |k: u64, name: &str| {
            if let Some(p) = progress.as_mut() {
                p(name, k, STEPS);
            }
        };
        step(0, "dominators");
        crate::dom::propagate_dom_state(&mut graph);
        let user_roots = roots::user_roots(&graph);
        let mut self_size = std::mem::take(&mut graph.self_size);
        let ephemerons = OnceLock::new();
        let ephemerons = || ephemerons.get_or_init(|| EphemeronNames::build(&graph));
        let page_owned = OnceLock::new();
        let page_owned = || page_owned.get_or_init(|| roots::page_owned(&graph));
        // On two threads the other branch walks the page-owned nodes while this one makes the
        // dominators' arrays and computes the essential edges, which need the page-owned nodes
        // only for a last, short pass. Both branches call `get_or_init`, so neither can wait
        // on the other forever (if one panics, the other computes it).
        let dominators = || {
            let workspace = dominators::Workspace::new(&graph, Vec::new());
            let mut essential = EssentialEdges::compute(&graph, ephemerons());
            essential.outside_the_page(&graph, page_owned());
            dominators::compute(&graph, essential, workspace)
        };
        // The rest, in two parts that need nothing of each other: shallow sizes; distances and
        // classes. `queue`: a buffer for the distances' BFS, handed back. (The statistics wait
        // for the tail, where a core is free.)
        let names_part = |queue: Vec<u32>| {
            let (distances, queue) = match when {
                When::Opening => {
                    let (distances, queue) = distances::compute(&graph, ephemerons(), queue);
                    (Some(distances), queue)
                }
                When::FirstUse => (None, queue),
            };
            // On two threads the queue was fresh memory: freed before the classes take theirs.
            let queue = if two_threads { Vec::new() } else { queue };
            let plain = PlainObjects::of(&graph);
            (distances, classes::classify(&graph, &plain, None), plain, queue)
        };
        // `both_cores`: the parts at once, on two threads.
        let mut the_rest = |queue: Vec<u32>, both_cores: bool| {
            // In turn, the shallow sizes first: their temporary is freed before the names' arrays.
            let ((), (distances, classes, plain, queue)) = both(both_cores, || {
                retained::adjust_shallow_sizes(&graph, &mut self_size, !user_roots.is_empty())
            }, || names_part(queue));
            let class_stats = classes::summarize(&classes, &self_size, distances.as_ref().map(|d| &d.distance[..]));
            (distances, classes, class_stats, plain, queue)
        };
        // With `Keep::Classes`, the statistics and the kept plain objects, made before the
        // edges' names go.
        let mut early = None;
        let (dom, (distances, classes, mut class_stats)) = if two_threads {
            // The dominator tree is the longest phase and needs neither sizes nor names:
            // compute it on a second thread while this one does the rest.
            let (dom, (distances, classes, class_stats, _, _)) = both(true, dominators, || {
                page_owned();
                the_rest(Vec::new(), false)
            });
            (dom, (distances, classes, class_stats))
        } else if keep == Keep::Classes {
            // Every phase that reads the edges' names or types first; then their memory goes,
            // that of the names as the dominators' predecessor lists (about as many).
            let (distances, classes, class_stats, mut plain, _) = the_rest(Vec::new(), Busy::alone());
            plain.keep_properties(&graph);
            let statistics = stats::compute(&graph, &self_size);
            let mut essential = EssentialEdges::compute(&graph, ephemerons());
            essential.outside_the_page(&graph, page_owned());
            graph.script_names();
            early = Some((statistics, plain));
            let preds = std::mem::take(&mut graph.edge_name);
            graph.edge_type = Vec::new();
            crate::memory::release_freed();
            let workspace = dominators::Workspace::new(&graph, preds);
            (dominators::compute(&graph, essential, workspace), (distances, classes, class_stats))
        } else {
            // The dominators' spare array serves as the BFS queue, and is spare again after:
            // no fresh memory at this one-thread analysis's peak. If the other snapshots have
            // been analysed meanwhile, the rest has both cores.
            let mut dom = dominators();
            let (distances, classes, class_stats, _, queue) = the_rest(std::mem::take(&mut dom.spare), Busy::alone());
            dom.spare = queue;
            (dom, (distances, classes, class_stats))
        };
        let (early_statistics, plain) = early.unzip();
        graph.self_size = self_size;
        step(1, "retained sizes");
        let Dominators { idom, preorder, spare } = dom;
        let alone = Busy::alone();
        let parallel = two_threads || alone;
        let (retained, dominated) = if parallel {
            // Both need only the tree: the child lists on the second thread, in fresh memory,
            // as the preorder is read here meanwhile.
            std::thread::scope(|scope| {
                let dominated = scope.spawn(|| DominatedNodes::build(&idom, (spare, Vec::new())));
                let retained = retained::retained_sizes(&graph.self_size, &idom, &preorder);
                (retained, join(dominated))
            })
        } else {
            let retained = retained::retained_sizes(&graph.self_size, &idom, &preorder);
            (retained, DominatedNodes::build(&idom, (spare, preorder)))
        };
        step(2, "distances");
        step(3, "classes");
        let statistics = || early_statistics.unwrap_or_else(|| stats::compute(&graph, &graph.self_size));
        // Left for first use only if the other snapshots are done: else now, while they load.
        // (Asked again, not `alone`: in a diff the other is often done since, and the compare
        // that needs these sums would wait for them with a core idle.)
        let later = class_retained == When::FirstUse && Busy::alone();
        let (statistics, ()) = both(parallel, statistics, || {
            if !later {
                classes::add_retained(&mut class_stats, &classes, &graph.self_size, &retained, &dominated)
            }
        });
        let (class_stats, unretained, dominated) = if later {
            (OnceLock::new(), class_stats, Some(dominated))
        } else {
            (OnceLock::from(class_stats), Vec::new(), None)
        };
        step(4, "statistics");
        let root_retained = if retained.is_empty() { 0 } else { retained.get(ROOT) };
        let statistics = statistics.with_root_retained(root_retained);
        // The snapshot is held from now on (by a diff's or a leak series' worker while the
        // others load): hand back the phases' freed temporaries.
        crate::memory::release_freed();
        step(5, "done");
        Snapshot {
            graph,
            idom,
            retained,
            class_distances: distances.is_some(),
            distances: distances.map(OnceLock::from).unwrap_or_default(),
            dominated: OnceLock::new(),
            classes,
            class_stats,
            unretained,
            unretained_dominated: Mutex::new(dominated),
            statistics,
            user_root_count: user_roots.len(),
            by_id: OnceLock::new(),
            keep,
            plain,
        }
    }

    pub fn graph(&self) -> &Graph {
        &self.graph
    }
    pub fn retained_sizes(&self) -> &RetainedSizes {
        &self.retained
    }
    /// The distances from the root (computed now if left for first use). Panics if they cannot
    /// be had (see [`Snapshot::has_distances`]).
    pub fn distances(&self) -> &[i32] {
        &self.distances_now().distance
    }
    /// Whether distances can be had: computed while opening, or computable (not after
    /// [`Keep::Classes`] dropped the edges' names).
    pub fn has_distances(&self) -> bool {
        self.distances.get().is_some() || self.keep == Keep::All
    }
    /// The distances, computed now if they were left for first use.
    fn distances_now(&self) -> &Distances {
        self.distances.get_or_init(|| {
            assert!(self.keep == Keep::All, "distances asked of a snapshot opened keeping only its classes");
            distances::compute(&self.graph, &EphemeronNames::build(&self.graph), Vec::new()).0
        })
    }
    pub fn dominators(&self) -> &[u32] {
        &self.idom
    }
    pub fn classes(&self) -> &Classes {
        &self.classes
    }
    /// Per-class aggregates, in class order (unsorted); their distances are
    /// [`NO_DISTANCE`](crate::NO_DISTANCE) if the snapshot has none (see
    /// [`Snapshot::has_distances`]).
    pub fn class_summaries(&self) -> Vec<ClassSummary> {
        let mut summaries: Vec<ClassSummary> = self.class_stats().iter().filter(|c| c.count > 0).cloned().collect();
        if !self.class_distances && self.has_distances() {
            let distances = classes::summarize(&self.classes, &self.graph.self_size, Some(self.distances()));
            let members = distances.iter().filter(|c| c.count > 0);
            summaries.iter_mut().zip(members).for_each(|(s, d)| s.distance = d.distance);
        }
        summaries
    }
    /// Per-class aggregates indexed by class index, classes without members included; their
    /// distances are [`NO_DISTANCE`](crate::NO_DISTANCE) unless computed while opening (see
    /// [`Snapshot::class_summaries`]).
    pub fn class_stats(&self) -> &[ClassSummary] {
        self.class_stats.get_or_init(|| {
            let mut stats = self.unretained.clone();
            self.with_dominated(|dominated| classes::add_retained(&mut stats, &self.classes, &self.graph.self_size, &self.retained, dominated));
            stats
        })
    }
    /// The edge by which the distance BFS first reached each node (`u32::MAX` for none): the
    /// last step of its shortest retainer path.
    pub fn parent_edges(&self) -> &[u32] {
        &self.distances_now().parent_edge
    }
    /// The dominator tree's child lists, kept once built (for repeated queries).
    pub fn dominated(&self) -> &DominatedNodes {
        self.dominated.get_or_init(|| self.unkept_dominated())
    }

    /// Runs `f` on the dominator tree's child lists: the kept ones if a query built them, or
    /// those made while opening for the class retained sizes (then dropped), else ones built
    /// for `f` alone and dropped after (for one-off aggregates).
    pub(crate) fn with_dominated<R>(&self, f: impl FnOnce(&DominatedNodes) -> R) -> R {
        if let Some(dominated) = self.dominated.get() {
            return f(dominated);
        }
        f(&self.unkept_dominated())
    }

    /// The child lists made while opening for the class retained sizes, if not taken yet; else
    /// built now.
    fn unkept_dominated(&self) -> DominatedNodes {
        let held = self.unretained_dominated.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        held.unwrap_or_else(|| DominatedNodes::build(&self.idom, (Vec::new(), Vec::new())))
    }

    /// The property lists this snapshot names plain objects by, to classify a diff's base with.
    pub fn interface_definitions(&self) -> &[Vec<String>] {
        &self.classes.definitions
    }

    /// This snapshot as the base of a diff: compact columns, with plain objects classified by
    /// the current snapshot's `definitions` when given (as DevTools does).
    pub fn census(&self, definitions: Option<&[Vec<String>]>) -> Census<'_> {
        self.census_with(definitions, true, |_, _, _| ()).1
    }

    /// [`Snapshot::census`], calling `columns` with its ids, classes and shallow sizes while
    /// its class summaries are made: those may still need their retained sizes (see [`When`]),
    /// computed on another thread meanwhile, so that a caller copying the columns (as the
    /// binding does, into JavaScript's memory) need not wait for them. Without `retained`, a
    /// census by its own definitions does not wait for them at all: its classes' retained
    /// sizes are zero if not computed yet. That is enough to pair objects with (see
    /// [`crate::pair`]); the diff takes them later from [`Snapshot::class_stats`].
    pub fn census_with<R>(&self, definitions: Option<&[Vec<String>]>, retained: bool, columns: impl FnOnce(&[u32], &[u32], &[u32]) -> R) -> (R, Census<'_>) {
        let g = &self.graph;
        let ((class_summaries, r), classes) = match definitions {
            // Other definitions than its own: its plain objects classified again.
            Some(defs) if defs != self.classes.definitions => {
                let built;
                let plain = match &self.plain {
                    Some(plain) => plain,
                    None => {
                        built = PlainObjects::of(g);
                        &built
                    }
                };
                let classes = classes::classify(g, plain, Some(defs));
                let mut stats = classes::summarize(&classes, &g.self_size, self.distances.get().map(|d| &d.distance[..]));
                self.with_dominated(|dominated| classes::add_retained(&mut stats, &classes, &g.self_size, &self.retained, dominated));
                let r = columns(&g.node_id, &classes.node_class, &g.self_size);
                ((stats, r), Cow::Owned(classes.node_class))
            }
            // Its own, as two snapshots of one process mostly have: nothing to redo.
            _ => {
                let classes = &self.classes.node_class;
                let known = self.class_stats.get();
                let summaries = || match known {
                    Some(stats) => stats.to_vec(),
                    None if retained => self.class_stats().to_vec(),
                    None => self.unretained.clone(),
                };
                (both(known.is_none() && retained, summaries, || columns(&g.node_id, classes, &g.self_size)), Cow::Borrowed(&classes[..]))
            }
        };
        let census = Census { max_id: g.max_counter_id(), ids: Cow::Borrowed(&g.node_id), classes, self_sizes: Cow::Borrowed(&g.self_size), class_summaries };
        (r, census)
    }
    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    pub fn memory_bytes(&self) -> u64 {
        (self.graph.heap_bytes()
            + self.idom.capacity() * 4
            + self.retained.heap_bytes()
            + self.distances.get().map_or(0, |d| d.distance.capacity() * 4 + d.parent_edge.capacity() * 4)
            + self.dominated.get().map_or(0, |d| d.heap_bytes())
            + self.unretained_dominated.lock().map_or(0, |d| d.as_ref().map_or(0, DominatedNodes::heap_bytes))
            + self.classes.node_class.capacity() * 4
            + self.plain.as_ref().map_or(0, PlainObjects::heap_bytes)
            + self.by_id.get().map_or(0, |v| v.capacity() * 4)) as u64
    }

    pub fn summary(&self) -> Summary {
        Summary {
            node_count: self.graph.node_count() as u64,
            edge_count: self.graph.edge_count() as u64,
            total_size: self.statistics.total,
            // (Counts only: the retained sizes are not computed for this.)
            class_count: self.class_stats.get().unwrap_or(&self.unretained).iter().filter(|c| c.count > 0).count() as u64,
            user_root_count: self.user_root_count as u64,
            has_allocation_traces: !self.graph.trace.nodes.is_empty(),
            statistics: self.statistics.clone(),
            memory_bytes: self.memory_bytes(),
        }
    }

    fn check(&self, node: u32) -> Result<()> {
        if (node as usize) < self.graph.node_count() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::NotFound, format!("no node with ordinal {node}")))
        }
    }

    /// [`Snapshot::check`], for a query that needs what [`Keep::Classes`] drops.
    fn check_kept(&self, node: u32) -> Result<()> {
        match self.keep {
            Keep::All => self.check(node),
            Keep::Classes => Err(not_kept()),
        }
    }

    /// An error unless distances can be had (see [`Snapshot::has_distances`]): for callers of
    /// what needs them, such as the leak queries.
    pub fn require_distances(&self) -> Result<()> {
        if self.has_distances() {
            Ok(())
        } else {
            Err(not_kept())
        }
    }

    /// The ordinals of the nodes with these ids, as [`Snapshot::find_by_id`] finds them; for a
    /// few ids, one pass over the ids rather than the index that a sort builds.
    pub fn find_all_by_id(&self, ids: &[u64]) -> Vec<Option<u32>> {
        if self.by_id.get().is_some() || ids.len() > 64 {
            return ids.iter().map(|&id| self.find_by_id(id)).collect();
        }
        let mut wanted: FxHashMap<u32, Option<u32>> = ids.iter().filter_map(|&id| u32::try_from(id).ok()).map(|id| (id, None)).collect();
        for (node, id) in self.graph.node_id.iter().enumerate() {
            if let Some(found @ None) = wanted.get_mut(id) {
                *found = Some(node as u32);
            }
        }
        ids.iter().map(|&id| u32::try_from(id).ok().and_then(|id| wanted[&id])).collect()
    }

    /// The ordinal of the node with this id (the first, should several share it).
    pub fn find_by_id(&self, id: u64) -> Option<u32> {
        let ids = &self.graph.node_id;
        let by_id = self.by_id.get_or_init(|| crate::ids::ordinals_by_id(ids, |_| true));
        let id = u32::try_from(id).ok()?;
        let first = by_id.partition_point(|&i| ids[i as usize] < id);
        by_id.get(first).copied().filter(|&i| ids[i as usize] == id)
    }

    pub fn node(&self, node: u32) -> Result<NodeInfo> {
        self.check_kept(node)?;
        let g = &self.graph;
        let i = node as usize;
        Ok(NodeInfo {
            ordinal: node,
            id: g.node_id[i] as u64,
            node_type: g.node_type_name(node).to_string(),
            name: g.name(node).to_string(),
            class_name: self.classes.name(self.classes.node_class[i]).to_string(),
            self_size: g.self_size[i] as u64,
            retained_size: self.retained.get(node),
            distance: self.distances()[i],
            edge_count: (g.first_edge[i + 1] - g.first_edge[i]),
            detachedness: g.detachedness.as_ref().map(|d| d[i]),
            trace_node_id: g.trace_node_id.as_ref().map(|t| t[i]),
        })
    }

    fn edge_info(&self, e: usize, other: u32) -> EdgeInfo {
        let g = &self.graph;
        EdgeInfo {
            edge_type: g.edge_type_name(e).to_string(),
            name: g.edge_name_str(e).map_or_else(|| g.edge_name[e].to_string(), str::to_string),
            step: paths::edge_step(g, e),
            node: other,
        }
    }

    /// The node's outgoing references, in snapshot order.
    pub fn edges(&self, node: u32) -> Result<Vec<EdgeInfo>> {
        self.check_kept(node)?;
        Ok(self.graph.edges(node).map(|e| self.edge_info(e, self.graph.edge_to[e])).collect())
    }

    /// Every reference to the node (a scan of all edges: retainers are not indexed, to keep
    /// the snapshot's memory small).
    pub fn retainers(&self, node: u32) -> Result<Vec<EdgeInfo>> {
        self.check_kept(node)?;
        let g = &self.graph;
        let mut out = Vec::new();
        for from in 0..g.node_count() as u32 {
            for e in g.edges(from) {
                if g.edge_to[e] == node {
                    out.push(self.edge_info(e, from));
                }
            }
        }
        Ok(out)
    }

    pub fn dominator(&self, node: u32) -> Result<u32> {
        self.check(node)?;
        Ok(self.idom[node as usize])
    }

    /// The nodes the node immediately dominates, largest retained size first.
    pub fn dominated_children(&self, node: u32) -> Result<Vec<u32>> {
        self.check(node)?;
        let mut children = self.dominated().children(node).to_vec();
        children.sort_by(|&a, &b| self.retained.get(b).cmp(&self.retained.get(a)).then(a.cmp(&b)));
        Ok(children)
    }

    pub fn retainer_path(&self, node: u32) -> Result<RetainerPath> {
        self.check_kept(node)?;
        let g = &self.graph;
        let edges = paths::retainer_path(g, self.parent_edges(), node);
        let mut nodes = Vec::with_capacity(edges.len() + 1);
        nodes.push(edges.first().map_or(node, |&e| paths::edge_source(g, e)));
        nodes.extend(edges.iter().map(|&e| g.edge_to[e]));
        let text = paths::format_path(g, &edges, node);
        let short = paths::scoped_path(g, &edges).unwrap_or_else(|| text.clone());
        let edges = edges.iter().map(|&e| self.edge_info(e, g.edge_to[e])).collect();
        Ok(RetainerPath { nodes, edges, text, short })
    }

    /// The `n` non-synthetic nodes with the largest retained sizes, largest first.
    pub fn largest(&self, n: usize) -> Vec<u32> {
        let g = &self.graph;
        let synthetic = g.node_kinds.synthetic;
        // The n best so far in a min-heap, best meaning larger, then earlier: one pass, and no
        // list of every node (fresh memory, costly here).
        let mut best: BinaryHeap<Reverse<(u64, Reverse<u32>)>> = BinaryHeap::with_capacity(n + 1);
        if n > 0 {
            for i in (0..g.node_count() as u32).filter(|&i| i != ROOT && g.node_type[i as usize] != synthetic) {
                let key = (self.retained.get(i), Reverse(i));
                if best.len() < n {
                    best.push(Reverse(key));
                } else if let Some(mut worst) = best.peek_mut().filter(|worst| key > worst.0) {
                    *worst = Reverse(key);
                }
            }
        }
        best.into_sorted_vec().into_iter().map(|Reverse((_, Reverse(i)))| i).collect()
    }
}

/// Snapshots being opened or analysed in this process right now. When there are several (a
/// diff, a leak series), each already has cores of its own to keep busy, so none splits its
/// analysis over a second thread: that only makes their memory peaks coincide.
static BUSY: AtomicUsize = AtomicUsize::new(0);

struct Busy;

impl Busy {
    fn enter() -> Busy {
        BUSY.fetch_add(1, Ordering::SeqCst);
        Busy
    }
    fn alone() -> bool {
        BUSY.load(Ordering::SeqCst) <= 1
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.fetch_sub(1, Ordering::SeqCst);
    }
}
