//! N-API binding of heapdiff-core: conversion only. The snapshot stays in Rust behind a
//! handle; queries are paged; bulk columns cross as typed arrays. Loading runs on the libuv
//! thread pool, and no panic crosses into Node (each is turned into a JS error).

use heapdiff_core as core;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

fn to_js(e: core::Error) -> Error {
    Error::new(Status::GenericFailure, e.to_string())
}

/// Runs `f`, turning a panic into an error so that it never unwinds into Node.
fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::new(Status::GenericFailure, format!("internal error in heapdiff-core: {what}")))
    })
}

const PHASES: [&str; 7] = ["parse", "dominators", "retained sizes", "distances", "classes", "statistics", "done"];

#[derive(Default)]
struct LoadState {
    phase: AtomicU8,
    done: AtomicU64,
    total: AtomicU64,
}

#[napi(object)]
pub struct LoadProgress {
    pub phase: String,
    pub done: f64,
    pub total: f64,
}

/// Loads one snapshot off the main thread; `progress()` may be polled meanwhile.
#[napi]
pub struct Loader {
    path: PathBuf,
    options: core::OpenOptions,
    state: Arc<LoadState>,
}

#[napi(object)]
pub struct LoaderOptions {
    /// Compute distances and retainer paths when first asked for, not while loading.
    pub distances_at_first_use: Option<bool>,
    /// Compute the classes' retained sizes when first asked for (by a diff's pairing, which
    /// works meanwhile, or by the base's class figures it waits for), not while loading, unless
    /// other snapshots are still being loaded then.
    pub class_retained_at_first_use: Option<bool>,
    /// Keep only what classes, sizes, the dominator tree and allocation sites need (as a
    /// diff does): no edge names, distances or retainer paths.
    pub keep_only_classes: Option<bool>,
    /// Other snapshots are opened at the same time: the parse keeps to a thread per big array.
    pub shared_cores: Option<bool>,
}

fn when(at_first_use: Option<bool>) -> core::When {
    if at_first_use == Some(true) {
        core::When::FirstUse
    } else {
        core::When::Opening
    }
}

#[napi]
impl Loader {
    #[napi(constructor)]
    pub fn new(path: String, options: Option<LoaderOptions>) -> Self {
        let options = options.map_or_else(core::OpenOptions::default, |o| core::OpenOptions {
            distances: when(o.distances_at_first_use),
            class_retained: when(o.class_retained_at_first_use),
            keep: if o.keep_only_classes == Some(true) { core::Keep::Classes } else { core::Keep::All },
            cores: if o.shared_cores == Some(true) { core::Cores::Shared } else { core::Cores::Own },
        });
        Loader { path: path.into(), options, state: Arc::new(LoadState::default()) }
    }

    #[napi(ts_return_type = "Promise<NativeSnapshot>")]
    pub fn load(&self) -> AsyncTask<LoadTask> {
        AsyncTask::new(LoadTask { path: self.path.clone(), options: self.options, state: self.state.clone() })
    }

    #[napi]
    pub fn progress(&self) -> LoadProgress {
        let s = &self.state;
        LoadProgress {
            phase: PHASES[s.phase.load(Ordering::Relaxed) as usize % PHASES.len()].to_string(),
            done: s.done.load(Ordering::Relaxed) as f64,
            total: s.total.load(Ordering::Relaxed) as f64,
        }
    }
}

pub struct LoadTask {
    path: PathBuf,
    options: core::OpenOptions,
    state: Arc<LoadState>,
}

impl Task for LoadTask {
    type Output = core::Snapshot;
    type JsValue = NativeSnapshot;

    fn compute(&mut self) -> Result<Self::Output> {
        let state = self.state.clone();
        guard(|| {
            let mut report = |phase: &str, done: u64, total: u64| {
                let index = PHASES.iter().position(|p| *p == phase).unwrap_or(0);
                state.phase.store(index as u8, Ordering::Relaxed);
                state.done.store(done, Ordering::Relaxed);
                state.total.store(total, Ordering::Relaxed);
            };
            core::Snapshot::open_with(&self.path, Some(&mut report), self.options).map_err(to_js)
        })
    }

    fn resolve(&mut self, _: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeSnapshot { inner: Arc::new(output), paired: Mutex::new(None) })
    }
}

#[napi(object)]
pub struct Statistics {
    pub total: f64,
    #[napi(js_name = "v8heap")]
    pub v8heap: f64,
    pub native: f64,
    pub typed_arrays: f64,
    pub code: f64,
    pub strings: f64,
    pub js_arrays: f64,
    pub system: f64,
    pub extra_native_bytes: f64,
}

#[napi(object)]
pub struct Summary {
    pub node_count: f64,
    pub edge_count: f64,
    pub total_size: f64,
    pub class_count: f64,
    pub user_root_count: f64,
    pub has_allocation_traces: bool,
    pub statistics: Statistics,
    pub memory_bytes: f64,
}

#[napi(object)]
pub struct ClassSummary {
    pub name: String,
    pub key: String,
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
    pub distance: i32,
}

#[napi(object)]
pub struct NodeInfo {
    pub ordinal: u32,
    pub id: f64,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub name: String,
    pub class_name: String,
    pub self_size: f64,
    pub retained_size: f64,
    pub distance: i32,
    pub edge_count: u32,
    pub detachedness: Option<u32>,
    pub trace_node_id: Option<u32>,
}

#[napi(object)]
pub struct EdgeInfo {
    #[napi(js_name = "type")]
    pub edge_type: String,
    pub name: String,
    pub step: String,
    pub node: u32,
}

#[napi(object)]
pub struct RetainerPath {
    pub nodes: Vec<u32>,
    pub edges: Vec<EdgeInfo>,
    pub text: String,
    pub short: String,
}

/// A snapshot reduced to what a diff needs from its base (see `heapdiff_core::Census`).
#[napi(object)]
pub struct Census {
    pub max_id: u32,
    pub ids: Uint32Array,
    pub classes: Uint32Array,
    pub self_sizes: Uint32Array,
    pub class_summaries: Vec<ClassSummary>,
}

/// [`Census`] as made, its columns in JavaScript's memory: Node transfers those to another
/// thread without a copy, not arrays over Rust's memory.
#[napi(object, object_from_js = false)]
pub struct CensusColumns<'env> {
    pub max_id: u32,
    pub ids: Uint32ArraySlice<'env>,
    pub classes: Uint32ArraySlice<'env>,
    pub self_sizes: Uint32ArraySlice<'env>,
    pub class_summaries: Vec<ClassSummary>,
}

#[napi(object)]
pub struct DiffOptions {
    pub stack_depth: Option<u32>,
    pub class_name: Option<String>,
    pub class_limit: Option<u32>,
}

#[napi(object)]
pub struct Identity {
    pub same_process: bool,
    pub checked: f64,
    pub conflicts: f64,
}

#[napi(object)]
pub struct Totals {
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
}

#[napi(object)]
pub struct ClassDiff {
    pub name: String,
    pub key: String,
    pub new_count: Option<f64>,
    pub deleted_count: Option<f64>,
    pub alloc_size: Option<f64>,
    pub freed_size: Option<f64>,
    pub base: Totals,
    pub current: Totals,
}

#[napi(object)]
pub struct Frame {
    pub function_name: String,
    pub script: String,
    pub line: u32,
    pub column: u32,
}

#[napi(object)]
pub struct SiteClass {
    pub name: String,
    pub count: f64,
    pub self_size: f64,
}

#[napi(object)]
pub struct SiteDiff {
    pub label: String,
    pub frames: Vec<Frame>,
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
    pub classes: Vec<SiteClass>,
}

#[napi(object)]
pub struct NewObject {
    pub ordinal: u32,
    pub id: f64,
    pub name: String,
    pub self_size: f64,
    pub retained_size: f64,
    pub path: String,
}

#[napi(object)]
pub struct Diff {
    pub identity: Identity,
    pub classes: Vec<ClassDiff>,
    pub site_mode: Option<String>,
    pub sites: Vec<SiteDiff>,
    pub new_objects: Vec<NewObject>,
}

#[napi(object)]
pub struct Count {
    pub name: String,
    pub count: f64,
    pub self_size: f64,
}

#[napi(object)]
pub struct SiteCount {
    pub label: String,
    pub frames: Vec<Frame>,
    pub count: f64,
    pub self_size: f64,
}

#[napi(object)]
pub struct Suspect {
    pub ordinal: u32,
    pub id: f64,
    #[napi(js_name = "type")]
    pub node_type: String,
    pub name: String,
    pub class_name: String,
    pub self_size: f64,
    pub retained_size: f64,
    pub path: String,
    pub short_path: String,
    pub count: f64,
    pub new_self_size: f64,
    pub created: Vec<f64>,
    pub classes: Vec<Count>,
    pub sites: Vec<SiteCount>,
}

#[napi(object)]
pub struct Suspects {
    pub site_mode: String,
    pub suspects: Vec<Suspect>,
}

#[napi(object)]
pub struct Holding {
    pub present: bool,
    pub retained_size: f64,
    pub count: f64,
    pub self_size: f64,
}

fn frames(frames: Vec<core::Frame>) -> Vec<Frame> {
    frames.into_iter().map(|f| Frame { function_name: f.function, script: f.script, line: f.line, column: f.column }).collect()
}

fn suspects_result(s: core::Suspects) -> Suspects {
    Suspects {
        site_mode: s.site_mode.as_str().to_string(),
        suspects: s
            .suspects
            .into_iter()
            .map(|s| Suspect {
                ordinal: s.node,
                id: s.id as f64,
                node_type: s.node_type,
                name: s.name,
                class_name: s.class_name,
                self_size: s.self_size as f64,
                retained_size: s.retained_size as f64,
                path: s.path,
                short_path: s.short_path,
                count: s.count as f64,
                new_self_size: s.new_self_size as f64,
                created: s.created.into_iter().map(|c| c as f64).collect(),
                classes: s.classes.into_iter().map(|(name, count, size)| Count { name, count: count as f64, self_size: size as f64 }).collect(),
                sites: s
                    .sites
                    .into_iter()
                    .map(|(site, count, size)| SiteCount { label: site.label, frames: frames(site.frames), count: count as f64, self_size: size as f64 })
                    .collect(),
            })
            .collect(),
    }
}

/// Columns copied into new JavaScript arrays (Node's own memory, which it transfers to another
/// thread without a copy), each on a thread of its own: the copies are mostly the mapping of
/// fresh pages as they are first written, and a diff's base has nothing else to do meanwhile.
fn copy_columns<'env, const N: usize>(env: &'env Env, columns: [&[u32]; N]) -> Result<[Uint32ArraySlice<'env>; N]> {
    let mut arrays = Vec::with_capacity(N);
    for column in columns {
        arrays.push(new_u32_array(env, column.len())?);
    }
    std::thread::scope(|scope| {
        for (array, column) in arrays.iter_mut().zip(columns).filter(|(_, column)| !column.is_empty()) {
            // SAFETY: the arrays are new, and nothing else sees them until they are returned.
            let to = unsafe { array.as_mut() };
            scope.spawn(move || to.copy_from_slice(column));
        }
    });
    Ok(arrays.try_into().unwrap_or_else(|_| unreachable!("one array per column")))
}

/// A new JavaScript array of `len` zeros.
fn new_u32_array(env: &Env, len: usize) -> Result<Uint32ArraySlice<'_>> {
    let (mut data, mut buffer, mut array) = (std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: N-API calls on this thread's environment; the typed array views the whole buffer.
    unsafe {
        check_status!(sys::napi_create_arraybuffer(env.raw(), len * 4, &mut data, &mut buffer))?;
        check_status!(sys::napi_create_typedarray(env.raw(), sys::TypedarrayType::uint32_array, len, buffer, 0, &mut array))?;
        Uint32ArraySlice::from_napi_value(env.raw(), array)
    }
}

/// Class figures from JavaScript, as the engine takes them (the inverse of `class_summary`).
fn core_summaries(classes: &[ClassSummary]) -> Vec<core::ClassSummary> {
    classes
        .iter()
        .map(|c| core::ClassSummary {
            name: c.name.clone(),
            key: c.key.clone(),
            count: c.count as u64,
            self_size: c.self_size as u64,
            retained_size: c.retained_size as u64,
            distance: c.distance,
        })
        .collect()
}

fn class_summary(c: &core::ClassSummary) -> ClassSummary {
    ClassSummary {
        name: c.name.clone(),
        key: c.key.clone(),
        count: c.count as f64,
        self_size: c.self_size as f64,
        retained_size: c.retained_size as f64,
        distance: c.distance,
    }
}

fn totals(t: core::Totals) -> Totals {
    Totals { count: t.count as f64, self_size: t.self_size as f64, retained_size: t.retained_size as f64 }
}

fn diff_result(d: core::Diff) -> Diff {
    let opt = |v: Option<u64>| v.map(|v| v as f64);
    Diff {
        identity: Identity {
            same_process: d.identity.same_process,
            checked: d.identity.checked as f64,
            conflicts: d.identity.conflicts as f64,
        },
        classes: d
            .classes
            .into_iter()
            .map(|c| ClassDiff {
                name: c.name,
                key: c.key,
                new_count: opt(c.new_count),
                deleted_count: opt(c.deleted_count),
                alloc_size: opt(c.alloc_size),
                freed_size: opt(c.freed_size),
                base: totals(c.base),
                current: totals(c.current),
            })
            .collect(),
        site_mode: d.site_mode.map(|m| m.as_str().to_string()),
        sites: d
            .sites
            .into_iter()
            .map(|s| SiteDiff {
                label: s.site.label,
                frames: frames(s.site.frames),
                count: s.count as f64,
                self_size: s.self_size as f64,
                retained_size: s.retained_size as f64,
                classes: s
                    .classes
                    .into_iter()
                    .map(|(name, count, size)| SiteClass { name, count: count as f64, self_size: size as f64 })
                    .collect(),
            })
            .collect(),
        new_objects: d
            .new_objects
            .into_iter()
            .map(|o| NewObject {
                ordinal: o.node,
                id: o.id as f64,
                name: o.name,
                self_size: o.self_size as f64,
                retained_size: o.retained_size as f64,
                path: o.path,
            })
            .collect(),
    }
}

fn node_info(n: core::NodeInfo) -> NodeInfo {
    NodeInfo {
        ordinal: n.ordinal,
        id: n.id as f64,
        node_type: n.node_type,
        name: n.name,
        class_name: n.class_name,
        self_size: n.self_size as f64,
        retained_size: n.retained_size as f64,
        distance: n.distance,
        edge_count: n.edge_count,
        detachedness: n.detachedness.map(u32::from),
        trace_node_id: n.trace_node_id,
    }
}

fn edge_info(e: core::EdgeInfo) -> EdgeInfo {
    EdgeInfo { edge_type: e.edge_type, name: e.name, step: e.step, node: e.node }
}

fn page<T>(items: Vec<T>, offset: Option<u32>, limit: Option<u32>) -> Vec<T> {
    let offset = offset.unwrap_or(0) as usize;
    let limit = limit.map_or(usize::MAX, |l| l as usize);
    items.into_iter().skip(offset).take(limit).collect()
}

/// An analysed snapshot held in Rust.
#[napi]
pub struct NativeSnapshot {
    inner: Arc<core::Snapshot>,
    /// The objects paired with a diff's base, for the diff that follows (see `pair`).
    paired: Mutex<Option<core::Pairing>>,
}

#[napi]
impl NativeSnapshot {
    #[napi]
    pub fn summary(&self) -> Result<Summary> {
        guard(|| {
            let s = self.inner.summary();
            let st = s.statistics;
            Ok(Summary {
                node_count: s.node_count as f64,
                edge_count: s.edge_count as f64,
                total_size: s.total_size as f64,
                class_count: s.class_count as f64,
                user_root_count: s.user_root_count as f64,
                has_allocation_traces: s.has_allocation_traces,
                statistics: Statistics {
                    total: st.total as f64,
                    v8heap: st.v8heap as f64,
                    native: st.native as f64,
                    typed_arrays: st.typed_arrays as f64,
                    code: st.code as f64,
                    strings: st.strings as f64,
                    js_arrays: st.js_arrays as f64,
                    system: st.system as f64,
                    extra_native_bytes: st.extra_native_bytes as f64,
                },
                memory_bytes: s.memory_bytes as f64,
            })
        })
    }

    /// Per-class aggregates, unsorted.
    #[napi]
    pub fn classes(&self) -> Result<Vec<ClassSummary>> {
        guard(|| Ok(self.inner.class_summaries().iter().map(class_summary).collect()))
    }

    /// The property lists plain objects are named by, to classify a diff's base with.
    #[napi]
    pub fn interface_definitions(&self) -> Result<Vec<Vec<String>>> {
        guard(|| Ok(self.inner.interface_definitions().to_vec()))
    }

    /// This snapshot as a diff's base, classified with the current snapshot's definitions.
    /// With `retained` false (and its own definitions), the classes' retained sizes are not
    /// waited for: zero unless known, for a pairing (see `pair` and `censusClasses`).
    #[napi(ts_return_type = "Census")]
    pub fn census<'env>(&self, env: &'env Env, definitions: Option<Vec<Vec<String>>>, retained: Option<bool>) -> Result<CensusColumns<'env>> {
        guard(|| {
            // The columns are copied into JavaScript's memory while the class summaries are made.
            let copy = |ids: &[u32], classes: &[u32], sizes: &[u32]| -> Result<_> {
                let [ids, classes, sizes] = copy_columns(env, [ids, classes, sizes])?;
                Ok((ids, classes, sizes))
            };
            let (columns, c) = self.inner.census_with(definitions.as_deref(), retained.unwrap_or(true), copy);
            let (ids, classes, self_sizes) = columns?;
            Ok(CensusColumns { max_id: c.max_id, ids, classes, self_sizes, class_summaries: c.class_summaries.iter().map(class_summary).collect() })
        })
    }

    /// The class figures of a census by this snapshot's own definitions, with their retained
    /// sizes (computed now if they were left for first use).
    #[napi]
    pub fn census_classes(&self) -> Result<Vec<ClassSummary>> {
        guard(|| Ok(self.inner.class_stats().iter().map(class_summary).collect()))
    }

    /// The highest id of a heap object: everything created later has a higher one.
    #[napi]
    pub fn max_counter_id(&self) -> Result<u32> {
        guard(|| Ok(self.inner.graph().max_counter_id()))
    }

    /// Leak suspects, this being the last snapshot of a series whose earlier snapshots had
    /// the highest ids `max_ids` (oldest first).
    #[napi]
    pub fn leak_suspects(&self, max_ids: Vec<u32>, stack_depth: u32, limit: u32) -> Result<Suspects> {
        guard(|| {
            self.inner.require_distances().map_err(to_js)?;
            Ok(suspects_result(core::suspects(&self.inner, &max_ids, stack_depth as usize, limit as usize)))
        })
    }

    /// What each container (by id) holds here, the series starting at `first_max_id`.
    #[napi]
    pub fn holdings(&self, first_max_id: u32, container_ids: Vec<f64>) -> Result<Vec<Holding>> {
        guard(|| {
            self.inner.require_distances().map_err(to_js)?;
            let ids: Vec<u64> = container_ids.iter().map(|&id| id as u64).collect();
            Ok(core::holdings(&self.inner, first_max_id, &ids)
                .into_iter()
                .map(|h| Holding {
                    present: h.present,
                    retained_size: h.retained_size as f64,
                    count: h.count as f64,
                    self_size: h.self_size as f64,
                })
                .collect())
        })
    }

    /// Pairs this snapshot's objects with those of its base, from the base's census (whose
    /// classes' retained sizes are not read), for the `diff` that follows.
    #[napi]
    pub fn pair(&self, base: Census) -> Result<()> {
        guard(|| {
            let census = core::Census {
                max_id: base.max_id,
                ids: (&base.ids[..]).into(),
                classes: (&base.classes[..]).into(),
                self_sizes: (&base.self_sizes[..]).into(),
                class_summaries: core_summaries(&base.class_summaries),
            };
            if census.classes.iter().any(|&c| c as usize >= census.class_summaries.len()) || census.ids.len() != census.classes.len() || census.ids.len() != census.self_sizes.len() {
                return Err(Error::new(Status::InvalidArg, "census columns disagree in length or class index".to_string()));
            }
            let pairing = core::pair(&self.inner, &census);
            *self.paired.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(pairing);
            Ok(())
        })
    }

    /// Compares this snapshot with its base, whose objects `pair` paired, given the base's
    /// class figures (those of its census, with their retained sizes).
    #[napi]
    pub fn diff(&self, base_classes: Vec<ClassSummary>, options: DiffOptions) -> Result<Diff> {
        guard(|| {
            let paired = self.paired.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let pairing = paired.as_ref().ok_or_else(|| Error::new(Status::InvalidArg, "no objects paired with a base yet (pair first)".to_string()))?;
            let base_classes = core_summaries(&base_classes);
            if base_classes.len() != pairing.base_class_count() {
                return Err(Error::new(Status::InvalidArg, "the base's classes are not those of the census paired with".to_string()));
            }
            let defaults = core::DiffOptions::default();
            let options = core::DiffOptions {
                stack_depth: options.stack_depth.map_or(defaults.stack_depth, |d| d as usize),
                class: options.class_name,
                class_limit: options.class_limit.map_or(defaults.class_limit, |l| l as usize),
            };
            Ok(diff_result(pairing.diff(&self.inner, &base_classes, &options)))
        })
    }

    #[napi]
    pub fn node(&self, ordinal: u32) -> Result<NodeInfo> {
        guard(|| self.inner.node(ordinal).map(node_info).map_err(to_js))
    }

    #[napi]
    pub fn find_by_id(&self, id: f64) -> Result<Option<u32>> {
        guard(|| Ok(if id >= 0.0 && id.fract() == 0.0 { self.inner.find_by_id(id as u64) } else { None }))
    }

    #[napi]
    pub fn edges(&self, ordinal: u32, offset: Option<u32>, limit: Option<u32>) -> Result<Vec<EdgeInfo>> {
        guard(|| Ok(page(self.inner.edges(ordinal).map_err(to_js)?, offset, limit).into_iter().map(edge_info).collect()))
    }

    #[napi]
    pub fn retainers(&self, ordinal: u32, offset: Option<u32>, limit: Option<u32>) -> Result<Vec<EdgeInfo>> {
        guard(|| {
            Ok(page(self.inner.retainers(ordinal).map_err(to_js)?, offset, limit).into_iter().map(edge_info).collect())
        })
    }

    #[napi]
    pub fn dominator(&self, ordinal: u32) -> Result<u32> {
        guard(|| self.inner.dominator(ordinal).map_err(to_js))
    }

    #[napi]
    pub fn dominated_children(&self, ordinal: u32, offset: Option<u32>, limit: Option<u32>) -> Result<Vec<u32>> {
        guard(|| Ok(page(self.inner.dominated_children(ordinal).map_err(to_js)?, offset, limit)))
    }

    #[napi]
    pub fn retainer_path(&self, ordinal: u32) -> Result<RetainerPath> {
        guard(|| {
            let p = self.inner.retainer_path(ordinal).map_err(to_js)?;
            Ok(RetainerPath { nodes: p.nodes, edges: p.edges.into_iter().map(edge_info).collect(), text: p.text, short: p.short })
        })
    }

    #[napi]
    pub fn largest(&self, n: u32) -> Result<Vec<u32>> {
        guard(|| Ok(self.inner.largest(n as usize)))
    }

    /// Node ids, by ordinal.
    #[napi]
    pub fn node_ids(&self) -> Result<Float64Array> {
        guard(|| Ok(Float64Array::new(self.inner.graph().node_id.iter().map(|&v| v as f64).collect())))
    }

    /// Shallow sizes as DevTools shows them, by ordinal.
    #[napi]
    pub fn self_sizes(&self) -> Result<Float64Array> {
        guard(|| Ok(Float64Array::new(self.inner.graph().self_size.iter().map(|&v| v as f64).collect())))
    }

    #[napi]
    pub fn retained_sizes(&self) -> Result<Float64Array> {
        guard(|| Ok(Float64Array::new(self.inner.retained_sizes().iter().map(|v| v as f64).collect())))
    }

    #[napi]
    pub fn distances(&self) -> Result<Int32Array> {
        guard(|| {
            self.inner.require_distances().map_err(to_js)?;
            Ok(Int32Array::new(self.inner.distances().to_vec()))
        })
    }

    #[napi]
    pub fn dominators(&self) -> Result<Uint32Array> {
        guard(|| Ok(Uint32Array::new(self.inner.dominators().to_vec())))
    }

    /// Class index of each node (an index into `classNames()`).
    #[napi]
    pub fn node_classes(&self) -> Result<Uint32Array> {
        guard(|| Ok(Uint32Array::new(self.inner.classes().node_class.clone())))
    }

    #[napi]
    pub fn class_names(&self) -> Result<Vec<String>> {
        guard(|| Ok(self.inner.classes().names.clone()))
    }

    #[napi]
    pub fn class_keys(&self) -> Result<Vec<String>> {
        guard(|| Ok(self.inner.classes().keys.clone()))
    }
}
