//! Leak suspects in a series of snapshots of one process: where the objects created during
//! the series converge.
//!
//! A leak is repeated creation, references converging into one container, and a long-lived
//! owner. V8 ids only grow within a process, so an object whose id is above the first
//! snapshot's highest was created since, and the highest id of each snapshot dates every later
//! object to an interval. A new object's *container* is its nearest dominator-tree ancestor that
//! already existed in the first snapshot and is something a user wrote (an Array, Map, plain
//! object, closure…), not an engine internal such as a backing store or a compiled-code table:
//! growing arrays and maps reallocate their backing stores, which are therefore new themselves,
//! and their owner is what the user knows. Where no single owner dominates the new object (it is
//! shared, so its dominator is a root), the shortest retainer path is followed instead.

use crate::graph::Graph;
use crate::paths::edge_source;
use crate::roots::ROOT;
use crate::sites::{Site, SiteKey, SiteMode, Sites};
use crate::snapshot::Snapshot;
use rustc_hash::FxHashMap;

const NONE: u32 = u32::MAX;
/// How far up a retainer path a container is looked for before giving up.
const MAX_PATH_STEPS: usize = 256;
/// How many classes and sites a suspect lists.
const TOP: usize = 5;

/// Engine internals: never named as a container when a user-visible owner exists, and not
/// counted as what accumulates. Asked of millions of nodes: each name's answer is kept by its
/// string index, so the text is read once per name rather than once per node.
struct Internals<'g> {
    graph: &'g Graph,
    /// Per string index: 0 not known yet, 1 an internal's name, 2 not.
    names: Vec<u8>,
}

impl<'g> Internals<'g> {
    fn new(graph: &'g Graph) -> Self {
        Internals { graph, names: vec![0; graph.strings.len()] }
    }

    fn contains(&mut self, node: u32) -> bool {
        let (g, k) = (self.graph, self.graph.node_kinds);
        let t = g.node_type[node as usize];
        if t == k.hidden || t == k.array || t == k.code || t == k.synthetic || t == k.object_shape {
            return true;
        }
        let index = g.node_name[node as usize] as usize;
        match self.names.get(index) {
            Some(1) => true,
            Some(2) => false,
            _ => {
                let name = g.name(node);
                let internal = name.starts_with("system / ") || (name.starts_with('(') && name.ends_with(')'));
                if let Some(known) = self.names.get_mut(index) {
                    *known = if internal { 1 } else { 2 };
                }
                internal
            }
        }
    }
}

/// Calls `f(object, container)` for every object created since the first snapshot
/// (`first_max_id` is that snapshot's highest id) that a container holds, in node order.
fn each_contained(snapshot: &Snapshot, first_max_id: u32, mut f: impl FnMut(u32, u32)) {
    let g = snapshot.graph();
    let idom = snapshot.dominators();
    let distance = snapshot.distances();
    let n = g.node_count();
    let old = |node: u32| g.has_counter_id(node) && g.node_id[node as usize] <= first_max_id;
    // Natives and synthetic nodes carry hashed ids: they can be dated neither way.
    let new = |node: u32| g.has_counter_id(node) && g.node_id[node as usize] > first_max_id;
    // A root, a root category or a global object holds everything: not a useful container.
    let rootish = |node: u32| node == ROOT || g.node_type[node as usize] == g.node_kinds.synthetic || distance[node as usize] <= 1;
    // holder[x]: the nearest old, user-visible node on x's dominator chain (x itself included).
    // Each walk up the chain stops at a node already answered and answers every node it passed,
    // so each node is walked over once, and the tree's child lists are not needed.
    const UNKNOWN: u32 = NONE - 1;
    let mut holder = vec![UNKNOWN; n];
    if n > 0 {
        holder[ROOT as usize] = ROOT;
    }
    let mut internal = Internals::new(g);
    let mut walked = Vec::new();
    for node in 0..n as u32 {
        let mut cur = node;
        while holder[cur as usize] == UNKNOWN {
            if old(cur) && !internal.contains(cur) {
                holder[cur as usize] = cur;
                break;
            }
            walked.push(cur);
            cur = idom[cur as usize];
        }
        let h = holder[cur as usize];
        for w in walked.drain(..) {
            holder[w as usize] = h;
        }
    }
    let parent_edge = snapshot.parent_edges();
    for node in 0..n as u32 {
        if !new(node) || internal.contains(node) || holder[node as usize] == NONE {
            continue;
        }
        let mut container = holder[node as usize];
        if rootish(container) {
            // Shared: walk the shortest retainer path up to the first old, visible owner.
            container = NONE;
            let mut cur = node;
            for _ in 0..MAX_PATH_STEPS {
                let e = parent_edge[cur as usize];
                if e == u32::MAX {
                    break;
                }
                cur = edge_source(g, e as usize);
                if rootish(cur) {
                    break;
                }
                if old(cur) && !internal.contains(cur) {
                    container = cur;
                    break;
                }
            }
        }
        if container != NONE {
            f(node, container);
        }
    }
}

/// A container that new objects converge into, as found in the last snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    pub node: u32,
    pub id: u64,
    pub node_type: String,
    pub name: String,
    pub class_name: String,
    pub self_size: u64,
    pub retained_size: u64,
    pub path: String,
    /// `path` from the module scope on, when it passes through one.
    pub short_path: String,
    /// New objects it holds (user-visible ones) and their shallow sizes.
    pub count: u64,
    pub new_self_size: u64,
    /// Of those, how many were created in each interval of the series.
    pub created: Vec<u64>,
    /// Their classes, most numerous first: (name, count, shallow size).
    pub classes: Vec<(String, u64, u64)>,
    /// Where they were allocated, most numerous first: (site, count, shallow size).
    pub sites: Vec<(Site, u64, u64)>,
}

#[derive(Debug, Clone)]
pub struct Suspects {
    pub site_mode: SiteMode,
    /// Largest new shallow size first.
    pub suspects: Vec<Suspect>,
}

/// The containers of the last snapshot of a series, largest growth first. `max_ids` holds the
/// highest id of each earlier snapshot, oldest first (at least one).
pub fn suspects(snapshot: &Snapshot, max_ids: &[u32], stack_depth: usize, limit: usize) -> Suspects {
    let g = snapshot.graph();
    let classes = snapshot.classes();
    let sites = Sites::new(g, classes).from_user_frames();
    let first = max_ids.first().copied().unwrap_or(u32::MAX);
    #[derive(Default)]
    struct Acc {
        count: u64,
        size: u64,
        created: Vec<u64>,
        classes: FxHashMap<u32, (u64, u64)>,
        sites: FxHashMap<SiteKey, (u64, u64)>,
    }
    // Entered once per new object: a fast hasher.
    let mut acc: FxHashMap<u32, Acc> = FxHashMap::default();
    each_contained(snapshot, first, |node, c| {
        let node = node as usize;
        let size = g.self_size[node] as u64;
        let a = acc.entry(c).or_insert_with(|| Acc { created: vec![0; max_ids.len()], ..Acc::default() });
        a.count += 1;
        a.size += size;
        let id = g.node_id[node];
        let interval = max_ids.partition_point(|&m| m < id).saturating_sub(1);
        a.created[interval] += 1;
        let class = classes.node_class[node];
        let e = a.classes.entry(class).or_default();
        *e = (e.0 + 1, e.1 + size);
        let site = sites.key(node as u32, stack_depth);
        let e = a.sites.entry(site).or_default();
        *e = (e.0 + 1, e.1 + size);
    });
    let mut ranked: Vec<(u32, Acc)> = acc.into_iter().collect();
    ranked.sort_by(|a, b| b.1.size.cmp(&a.1.size).then(b.1.count.cmp(&a.1.count)).then(a.0.cmp(&b.0)));
    ranked.truncate(limit);
    let retained = snapshot.retained_sizes();
    let suspects = ranked
        .into_iter()
        .map(|(node, a)| {
            let mut class_list: Vec<(String, u64, u64)> =
                a.classes.into_iter().map(|(c, (n, s))| (classes.name(c).to_string(), n, s)).collect();
            class_list.sort_by(|x, y| y.1.cmp(&x.1).then(y.2.cmp(&x.2)).then(x.0.cmp(&y.0)));
            class_list.truncate(TOP);
            let mut site_list: Vec<(Site, u64, u64)> =
                a.sites.into_iter().map(|(k, (n, s))| (sites.describe(&k), n, s)).collect();
            site_list.sort_by(|x, y| y.1.cmp(&x.1).then(y.2.cmp(&x.2)).then(x.0.label.cmp(&y.0.label)));
            site_list.truncate(TOP);
            let path = snapshot.retainer_path(node).ok();
            Suspect {
                node,
                id: g.node_id[node as usize] as u64,
                node_type: g.node_type_name(node).to_string(),
                name: g.name(node).to_string(),
                class_name: classes.name(classes.node_class[node as usize]).to_string(),
                self_size: g.self_size[node as usize] as u64,
                retained_size: retained.get(node),
                path: path.as_ref().map(|p| p.text.clone()).unwrap_or_default(),
                short_path: path.map(|p| p.short).unwrap_or_default(),
                count: a.count,
                new_self_size: a.size,
                created: a.created,
                classes: class_list,
                sites: site_list,
            }
        })
        .collect();
    Suspects { site_mode: sites.mode(), suspects }
}

/// What a container holds in one snapshot of the series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holding {
    pub present: bool,
    pub retained_size: u64,
    /// Objects created since the first snapshot that converge into it, and their shallow sizes.
    pub count: u64,
    pub self_size: u64,
}

/// For each container id: what it holds in this snapshot of the series.
pub fn holdings(snapshot: &Snapshot, first_max_id: u32, container_ids: &[u64]) -> Vec<Holding> {
    let g = snapshot.graph();
    let ordinals = snapshot.find_all_by_id(container_ids);
    let mut index: FxHashMap<u32, usize> = FxHashMap::default();
    for (i, o) in ordinals.iter().enumerate() {
        if let Some(o) = o {
            index.insert(*o, i);
        }
    }
    let mut out: Vec<Holding> = ordinals
        .iter()
        .map(|o| match o {
            Some(o) => Holding { present: true, retained_size: snapshot.retained_sizes().get(*o), count: 0, self_size: 0 },
            None => Holding::default(),
        })
        .collect();
    if index.is_empty() {
        return out;
    }
    each_contained(snapshot, first_max_id, |node, c| {
        if let Some(&i) = index.get(&c) {
            out[i].count += 1;
            out[i].self_size += g.self_size[node as usize] as u64;
        }
    });
    out
}
