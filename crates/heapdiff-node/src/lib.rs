//! N-API binding of heapdiff-core: conversion only. The snapshot stays in Rust behind a
//! handle; queries are paged; bulk columns cross as typed arrays. Loading runs on the libuv
//! thread pool, and no panic crosses into Node (each is turned into a JS error).

use heapdiff_core as core;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

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
    state: Arc<LoadState>,
}

#[napi]
impl Loader {
    #[napi(constructor)]
    pub fn new(path: String) -> Self {
        Loader { path: path.into(), state: Arc::new(LoadState::default()) }
    }

    #[napi(ts_return_type = "Promise<NativeSnapshot>")]
    pub fn load(&self) -> AsyncTask<LoadTask> {
        AsyncTask::new(LoadTask { path: self.path.clone(), state: self.state.clone() })
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
            core::Snapshot::open(&self.path, Some(&mut report)).map_err(to_js)
        })
    }

    fn resolve(&mut self, _: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeSnapshot { inner: Arc::new(output) })
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
        guard(|| {
            Ok(self
                .inner
                .class_summaries()
                .iter()
                .map(|c| ClassSummary {
                    name: c.name.clone(),
                    key: c.key.clone(),
                    count: c.count as f64,
                    self_size: c.self_size as f64,
                    retained_size: c.retained_size as f64,
                    distance: c.distance,
                })
                .collect())
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
            Ok(RetainerPath { nodes: p.nodes, edges: p.edges.into_iter().map(edge_info).collect(), text: p.text })
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
        guard(|| Ok(Float64Array::new(self.inner.retained_sizes().iter().map(|&v| v as f64).collect())))
    }

    #[napi]
    pub fn distances(&self) -> Result<Int32Array> {
        guard(|| Ok(Int32Array::new(self.inner.distances().to_vec())))
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
