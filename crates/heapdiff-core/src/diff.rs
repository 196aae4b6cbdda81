//! Comparing two snapshots of one process: DevTools' Comparison view (objects matched by id
//! within their class), plus what it lacks: each class's retained size in both snapshots, the
//! allocation sites of the new objects, and the largest new objects of a class with their
//! retainer paths. Snapshots of different processes share no ids worth matching; they are
//! detected and compared as class histograms instead.
//!
//! The base snapshot contributes only a [`Census`] (compact columns); the current one is a full
//! [`Snapshot`], so the two graphs need never be in memory together.

use crate::classes::ClassSummary;
use crate::ids::pair_by_id;
use crate::retained::sparse_group_retained;
use crate::sites::{Site, SiteKey, SiteMode, Sites};
use crate::snapshot::Snapshot;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// A snapshot reduced to what a diff needs from its base: per node (by ordinal) the id, class
/// index and shallow size, and per class index its figures.
#[derive(Debug, Clone)]
pub struct Census<'a> {
    /// The highest id of a heap object (see `Graph::max_counter_id`).
    pub max_id: u32,
    pub ids: Cow<'a, [u32]>,
    pub classes: Cow<'a, [u32]>,
    pub self_sizes: Cow<'a, [u32]>,
    pub class_summaries: Vec<ClassSummary>,
}

#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Frames of the allocation stack that make a site.
    pub stack_depth: usize,
    /// List the largest new objects of the class with this name (or key).
    pub class: Option<String>,
    pub class_limit: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions { stack_depth: 1, class: None, class_limit: 10 }
    }
}

/// Whether the two snapshots come from one process, judged by their ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub same_process: bool,
    /// Current objects with an id no higher than the base's highest.
    pub checked: u64,
    /// Of those, the ones missing from the base or of another class there.
    pub conflicts: u64,
}

/// Count, shallow and retained size of a class in one snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: u64,
    pub self_size: u64,
    pub retained_size: u64,
}

impl Totals {
    fn of(s: &ClassSummary) -> Totals {
        Totals { count: s.count, self_size: s.self_size, retained_size: s.retained_size }
    }
    fn add(&mut self, other: Totals) {
        self.count += other.count;
        self.self_size += other.self_size;
        self.retained_size += other.retained_size;
    }
}

/// One row of the comparison. `new`/`deleted` figures are `None` when the snapshots come from
/// different processes (objects cannot be matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDiff {
    pub name: String,
    /// The class key (same process) or the class name (histograms).
    pub key: String,
    pub new_count: Option<u64>,
    pub deleted_count: Option<u64>,
    pub alloc_size: Option<u64>,
    pub freed_size: Option<u64>,
    pub base: Totals,
    pub current: Totals,
}

/// The new objects allocated at one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDiff {
    pub site: Site,
    pub count: u64,
    pub self_size: u64,
    /// Retained size of the site's new objects (those nested in another counted once).
    pub retained_size: u64,
    /// The classes of those objects, most numerous first: (name, count, self size).
    pub classes: Vec<(String, u64, u64)>,
}

/// A new object, for drilling into a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObject {
    pub node: u32,
    pub id: u64,
    pub name: String,
    pub self_size: u64,
    pub retained_size: u64,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub identity: Identity,
    /// Every class that changed, in no particular order.
    pub classes: Vec<ClassDiff>,
    /// How sites are known; `None` for different processes.
    pub site_mode: Option<SiteMode>,
    pub sites: Vec<SiteDiff>,
    pub new_objects: Vec<NewObject>,
}

/// Ids of the current snapshot at or below the base's highest id that the base lacks or
/// classes differently, above this share, mean the ids are another process's numbering.
/// In one process V8's counter ids only grow, so such ids are rare (an object changing its
/// interface); two runs of one program number their common start-up objects alike, so the
/// share stays low across processes too, and the limit must be tight.
const MAX_CONFLICT_SHARE: f64 = 0.002;

/// How many classes a site lists.
const SITE_CLASSES: usize = 5;

/// Compares `current` with the census of its base.
pub fn diff(current: &Snapshot, base: &Census, options: &DiffOptions) -> Diff {
    pair(current, base).diff(current, &base.class_summaries, options)
}

/// The objects of a diff's two snapshots matched up: the first half of a diff, which needs the
/// base's columns and class keys but not its classes' retained sizes, so that the base may
/// compute those meanwhile (see [`Pairing::diff`]).
#[derive(Debug, Clone)]
pub struct Pairing {
    pub identity: Identity,
    /// Per current node: has a size and no partner in its class.
    is_new: Vec<bool>,
    /// Per base class: the current class of its key, if any.
    base_to_current: Vec<Option<u32>>,
    /// Per base class: the count and size of its objects without a partner.
    deleted: Vec<(u64, u64)>,
}

/// Pairs the objects of `current` with those of its base by id, as DevTools does, and judges
/// from them whether both come from one process.
pub fn pair(current: &Snapshot, base: &Census) -> Pairing {
    let g = current.graph();
    let cur_classes = current.classes();
    // Class keys are what match classes across snapshots.
    let mut key_index: HashMap<&str, u32> = HashMap::new();
    for (i, k) in cur_classes.keys.iter().enumerate() {
        key_index.insert(k.as_str(), i as u32);
    }
    let base_to_current: Vec<Option<u32>> =
        base.class_summaries.iter().map(|s| key_index.get(s.key.as_str()).copied()).collect();

    // Only objects with a shallow size take part, as in DevTools, which pairs them by a merge
    // join on their ids: a pair within one class is unchanged; otherwise the base object is
    // deleted and the current one new. Two threads pair two id ranges, each with its own
    // tallies: a current object is new until either pairs it.
    let pair = || {
        let is_new: Vec<AtomicBool> = g.self_size.iter().map(|&size| AtomicBool::new(size != 0)).collect();
        let state = || (vec![(0u64, 0u64); base.class_summaries.len()], 0u64);
        let states = pair_by_id(&base.ids, |b| base.self_sizes[b] != 0, &g.node_id, |c| g.self_size[c] != 0, true, state, |(unchanged, found), c, b| {
            if base_to_current[base.classes[b as usize] as usize] == Some(cur_classes.node_class[c]) {
                is_new[c].store(false, Relaxed);
                // Old enough? A paired c has a size, and b's id.
                *found += (g.has_counter_id(c as u32) && base.ids[b as usize] <= base.max_id) as u64;
                let u = &mut unchanged[base.classes[b as usize] as usize];
                *u = (u.0 + 1, u.1 + base.self_sizes[b as usize] as u64);
            }
        });
        let (mut unchanged, mut found) = state();
        for (u, f) in states {
            unchanged.iter_mut().zip(u).for_each(|(a, b)| *a = (a.0 + b.0, a.1 + b.1));
            found += f;
        }
        (is_new.into_iter().map(AtomicBool::into_inner).collect::<Vec<bool>>(), unchanged, found)
    };
    // The evidence of one process: how many objects are old enough to be in the base
    // (`checked`: with a size, and a counter id no later than the base's last), counted
    // meanwhile, and how many of those the pairing does not find there in their class. Also
    // meanwhile, the class retained sizes if left for first use (see `When`), and each base
    // class's objects with a size.
    let ((is_new, unchanged, found), (checked, mut deleted)) = crate::threads::both(true, pair, || {
        current.class_stats();
        let columns = g.self_size.iter().zip(&g.node_type).zip(&g.node_id);
        let checked = columns.filter(|&((&size, &t), &id)| (size != 0) & g.type_has_counter_ids(t) & (id <= base.max_id)).count() as u64;
        let mut sized = vec![(0u64, 0u64); base.class_summaries.len()];
        for (&class, &size) in base.classes.iter().zip(base.self_sizes.iter()).filter(|(_, &size)| size != 0) {
            let d = &mut sized[class as usize];
            *d = (d.0 + 1, d.1 + size as u64);
        }
        (checked, sized)
    });
    // Deleted: every base object with a size, less the unchanged ones (each paired once).
    for (d, u) in deleted.iter_mut().zip(unchanged) {
        *d = (d.0 - u.0, d.1 - u.1);
    }
    let conflicts = checked - found;
    let same_process = checked == 0 || (conflicts as f64) <= MAX_CONFLICT_SHARE * checked as f64;
    Pairing { identity: Identity { same_process, checked, conflicts }, is_new, base_to_current, deleted }
}

impl Pairing {
    /// The diff itself, given the base's class figures (`base_classes`, by the census's class
    /// index, with their retained sizes). Panics if they are not one per class of the census
    /// paired with (see [`Pairing::base_class_count`]).
    pub fn diff(&self, current: &Snapshot, base_classes: &[ClassSummary], options: &DiffOptions) -> Diff {
        assert_eq!(base_classes.len(), self.base_class_count(), "the base's classes are not those of the census paired with");
        let identity = self.identity;
        if !identity.same_process {
            return Diff { identity, classes: histograms(current, base_classes), site_mode: None, sites: Vec::new(), new_objects: Vec::new() };
        }
        // The class rows (and any new objects listed) and the sites need nothing of each
        // other: on two threads (a diff's compare comes when both snapshots are done, and the
        // cores free).
        let is_new = &self.is_new;
        let new_objects = || options.class.as_ref().map_or_else(Vec::new, |name| largest_new_objects(current, is_new, name, options.class_limit));
        let ((classes, new_objects), (site_mode, sites)) = crate::threads::both(
            true,
            || (self.class_rows(current, base_classes), new_objects()),
            || new_object_sites(current, is_new, options.stack_depth),
        );
        Diff { identity, classes, site_mode: Some(site_mode), sites, new_objects }
    }

    /// Per class: the new objects, the deleted ones, and both snapshots' totals; classes where
    /// nothing changed are left out.
    fn class_rows(&self, current: &Snapshot, base_classes: &[ClassSummary]) -> Vec<ClassDiff> {
        let g = current.graph();
        let cur_classes = current.classes();
        let cur_stats = current.class_stats();
        let mut added = vec![(0u64, 0u64); cur_classes.keys.len()];
        for (n, _) in self.is_new.iter().enumerate().filter(|(_, &new)| new) {
            let a = &mut added[cur_classes.node_class[n] as usize];
            *a = (a.0 + 1, a.1 + g.self_size[n] as u64);
        }

        let mut classes = Vec::new();
        for (c, s) in cur_stats.iter().enumerate() {
            let (new_count, alloc_size) = added[c];
            classes.push(ClassDiff {
                name: s.name.clone(),
                key: s.key.clone(),
                new_count: Some(new_count),
                deleted_count: Some(0),
                alloc_size: Some(alloc_size),
                freed_size: Some(0),
                base: Totals::default(),
                current: Totals::of(s),
            });
        }
        for (b, s) in base_classes.iter().enumerate() {
            let row = match self.base_to_current[b] {
                Some(c) => &mut classes[c as usize],
                None => {
                    classes.push(ClassDiff {
                        name: s.name.clone(),
                        key: s.key.clone(),
                        new_count: Some(0),
                        deleted_count: Some(0),
                        alloc_size: Some(0),
                        freed_size: Some(0),
                        base: Totals::default(),
                        current: Totals::default(),
                    });
                    classes.last_mut().unwrap()
                }
            };
            row.base = Totals::of(s);
            row.deleted_count = Some(self.deleted[b].0);
            row.freed_size = Some(self.deleted[b].1);
        }
        classes.retain(|c| c.new_count != Some(0) || c.deleted_count != Some(0) || c.base != c.current);
        classes
    }

    /// How many classes the base's figures must have (those of its census).
    pub fn base_class_count(&self) -> usize {
        self.base_to_current.len()
    }
}

/// Per class name (keys hold script ids, which differ between processes): the totals of both.
fn histograms(current: &Snapshot, base_classes: &[ClassSummary]) -> Vec<ClassDiff> {
    let mut rows: Vec<ClassDiff> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut row = |name: &str, rows: &mut Vec<ClassDiff>| -> usize {
        *by_name.entry(name.to_string()).or_insert_with(|| {
            rows.push(ClassDiff {
                name: name.to_string(),
                key: name.to_string(),
                new_count: None,
                deleted_count: None,
                alloc_size: None,
                freed_size: None,
                base: Totals::default(),
                current: Totals::default(),
            });
            rows.len() - 1
        })
    };
    for s in base_classes.iter().filter(|s| s.count > 0) {
        let r = row(&s.name, &mut rows);
        rows[r].base.add(Totals::of(s));
    }
    for s in current.class_stats().iter().filter(|s| s.count > 0) {
        let r = row(&s.name, &mut rows);
        rows[r].current.add(Totals::of(s));
    }
    rows.retain(|c| c.base != c.current);
    rows
}

/// The new objects grouped by allocation site.
fn new_object_sites(current: &Snapshot, is_new: &[bool], depth: usize) -> (SiteMode, Vec<SiteDiff>) {
    let g = current.graph();
    let classes = current.classes();
    let sites = Sites::new(g, classes);
    let mut keys: Vec<SiteKey> = Vec::new();
    // Looked up once per new object: a fast hasher, and a key cloned only when it is new.
    let mut index: FxHashMap<SiteKey, u32> = FxHashMap::default();
    // Each new object with its site.
    let mut site_of: Vec<(u32, u32)> = Vec::new();
    for (n, _) in is_new.iter().enumerate().filter(|(_, &new)| new) {
        let key = sites.key(n as u32, depth);
        let s = match index.get(&key) {
            Some(&s) => s,
            None => {
                keys.push(key.clone());
                index.insert(key, keys.len() as u32 - 1);
                keys.len() as u32 - 1
            }
        };
        site_of.push((n as u32, s));
    }
    let retained = sparse_group_retained(&site_of, keys.len(), current.retained_sizes(), current.dominators());
    let mut rows: Vec<SiteDiff> = keys
        .iter()
        .zip(retained)
        .map(|(k, retained_size)| SiteDiff {
            site: sites.describe(k),
            count: 0,
            self_size: 0,
            retained_size,
            classes: Vec::new(),
        })
        .collect();
    let mut per_class: Vec<HashMap<u32, (u64, u64)>> = vec![HashMap::new(); keys.len()];
    for &(n, s) in &site_of {
        let size = g.self_size[n as usize] as u64;
        let row = &mut rows[s as usize];
        row.count += 1;
        row.self_size += size;
        let c = per_class[s as usize].entry(classes.node_class[n as usize]).or_default();
        *c = (c.0 + 1, c.1 + size);
    }
    for (row, counts) in rows.iter_mut().zip(per_class) {
        let mut list: Vec<(String, u64, u64)> =
            counts.into_iter().map(|(c, (count, size))| (classes.name(c).to_string(), count, size)).collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        list.truncate(SITE_CLASSES);
        row.classes = list;
    }
    (sites.mode(), rows)
}

/// The largest new objects of a class (by name or key), with their retainer paths.
fn largest_new_objects(current: &Snapshot, is_new: &[bool], class: &str, limit: usize) -> Vec<NewObject> {
    let g = current.graph();
    let classes = current.classes();
    let retained = current.retained_sizes();
    let mut nodes: Vec<u32> = (0..g.node_count() as u32)
        .filter(|&n| is_new[n as usize])
        .filter(|&n| {
            let c = classes.node_class[n as usize] as usize;
            classes.names[c] == class || classes.keys[c] == class
        })
        .collect();
    nodes.sort_by(|&a, &b| retained.get(b).cmp(&retained.get(a)).then(a.cmp(&b)));
    nodes.truncate(limit);
    nodes
        .into_iter()
        .map(|n| NewObject {
            node: n,
            id: g.node_id[n as usize] as u64,
            name: g.name(n).to_string(),
            self_size: g.self_size[n as usize] as u64,
            retained_size: retained.get(n),
            path: current.retainer_path(n).map(|p| p.text).unwrap_or_default(),
        })
        .collect()
}
