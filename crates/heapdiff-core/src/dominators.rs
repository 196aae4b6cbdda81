//! The dominator tree, by semi-NCA (Lengauer–Tarjan's semidominators, then nearest common
//! ancestors) over DevTools' *essential* edges.
//!
//! This follows DevTools' `calculateDominatorsAndRetainedSizes` where its choices shape the
//! result — the same DFS edge order, the same handling of nodes the root cannot reach — so
//! that even where the graph is odd (orphans, unreachable cliques) the tree, and so every
//! retained size, matches. (DevTools ends with Lengauer–Tarjan's buckets instead; both give
//! the one dominator tree, which tests/dominators.rs checks against the definition.)
//! All traversals are iterative: heaps can be millions of objects deep.

use crate::bits::BitSet;
use crate::graph::Graph;
use crate::roots::ROOT;
use crate::weakmap::EphemeronNames;

/// A bit per edge: may this edge make its target dominated by its source?
pub struct EssentialEdges {
    edges: BitSet,
}

impl EssentialEdges {
    /// DevTools' `computeIsEssentialEdge`: not weak; not the WeakMap table's copy of an
    /// ephemeron edge; not a self edge; no `shortcut` except from the root; and (once
    /// [`EssentialEdges::outside_the_page`] has taken them out) not an edge from a node outside
    /// the page into a page-owned node.
    pub fn compute(graph: &Graph, ephemerons: &EphemeronNames) -> EssentialEdges {
        let k = graph.edge_kinds;
        // Nearly every edge is essential (all but 7,000 of 17.2 M in bench's medium-1): the
        // set starts full and loses the others, rather than gain each essential edge in a
        // store that waits for the one before it into the same word.
        let mut edges = BitSet::full(graph.edge_count());
        for from in 0..graph.node_count() as u32 {
            for e in graph.edges(from) {
                let t = graph.edge_type[e];
                let inessential = t == k.weak
                    || ephemerons.of_edge(graph, e).is_some_and(|ep| graph.node_id[from as usize] as u64 == ep.table_id)
                    || graph.edge_to[e] == from
                    || (from != ROOT && t == k.shortcut);
                if inessential {
                    edges.remove(e);
                }
            }
        }
        EssentialEdges { edges }
    }

    /// Takes out the edges from nodes outside the page (but the root) into page-owned nodes,
    /// so that objects also held by the debugger or other internals keep the page's
    /// dominators. The page owns nearly every node (all but a few thousand of the 6.3 M of
    /// bench's medium snapshot), so this pass is short: only it waits for the page-owned walk,
    /// not [`EssentialEdges::compute`].
    pub fn outside_the_page(&mut self, graph: &Graph, page_owned: &BitSet) {
        for from in page_owned.absent(graph.node_count()).filter(|&from| from as u32 != ROOT) {
            for e in graph.edges(from as u32) {
                if page_owned.contains(graph.edge_to[e] as usize) {
                    self.remove(e);
                }
            }
        }
    }

    #[inline]
    pub fn contains(&self, e: usize) -> bool {
        self.edges.contains(e)
    }

    #[inline]
    fn remove(&mut self, e: usize) {
        self.edges.remove(e);
    }
}

pub struct Dominators {
    /// Immediate dominator of each node (the root's is the root).
    pub idom: Vec<u32>,
    /// Nodes in DFS preorder from the root; children come after their dominators.
    pub preorder: Vec<u32>,
    /// A spent array of `node_count + 1` entries, for a later phase to reuse.
    pub spare: Vec<u32>,
}

/// The dominators' working arrays, which can be made before the essential edges are known
/// (they take a while to fault in). Vertices are numbered 1..=n in DFS preorder, 0 meaning
/// "none", and every array but `number` is indexed by that number: the semidominator loop
/// runs down the numbers and the tree is built up them, so they read and write these arrays
/// in order rather than at random nodes.
pub struct Workspace {
    /// Each node's number, at `node + 1`.
    number: Vec<u32>,
    /// The node of each number, plus one.
    vertex: Vec<u32>,
    /// The number of each number's DFS parent.
    parent: Vec<u32>,
    /// When w's semidominator is computed (in reverse preorder), a predecessor numbered before
    /// w is not linked yet and offers its own number, so only the smallest of those matters:
    /// the DFS notes it as it meets each edge, and it becomes w's first semidominator. Only
    /// predecessors numbered after w need a list: the DFS counts them (`first_pred`), and one
    /// pass over the edges fills the lists. The DFS tree's own edges are of the first kind:
    /// about 4 B per node less at this, the analysis's peak.
    lowest: Vec<u32>,
    first_pred: Vec<u32>,
    /// Room for those lists (memory the graph no longer needs, or none).
    preds: Vec<u32>,
}

impl Workspace {
    /// The arrays for `graph`; the predecessor lists go in `preds`, grown if need be.
    pub fn new(graph: &Graph, preds: Vec<u32>) -> Workspace {
        let len = graph.node_count() + 1;
        let zeroed = crate::memory::zeroed::<u32>;
        // The arrays by number are written in order, as the DFS numbers: no zeros needed.
        let by_number = || crate::memory::with_pages(len);
        Workspace { number: zeroed(len), vertex: by_number(), parent: by_number(), lowest: by_number(), first_pred: zeroed(len), preds }
    }
}

/// Computes the dominator tree rooted at node 0, in the arrays of `workspace` (made for this
/// graph).
pub fn compute(graph: &Graph, mut essential: EssentialEdges, workspace: Workspace) -> Dominators {
    let n = graph.node_count();
    if n == 0 {
        return Dominators { idom: Vec::new(), preorder: Vec::new(), spare: Vec::new() };
    }
    let Workspace { mut number, mut vertex, mut parent, mut lowest, mut first_pred, preds } = workspace;
    // Entry 0 of the arrays by number: "none".
    vertex.push(0);
    parent.push(0);
    lowest.push(u32::MAX);
    // The nodes with no essential retainer, which hang off the root. They are among those the
    // root cannot reach (it reaches the others by essential edges), as are their would-be
    // essential retainers: so they are found once the DFS from the root is done.
    let mut orphans = None;
    {
        let mut t = Dfs {
            number: &mut number,
            vertex: &mut vertex,
            parent: &mut parent,
            lowest: &mut lowest,
            later: &mut first_pred,
            stack: Vec::new(),
        };
        let r = ROOT + 1;
        t.run(graph, &mut essential, r);
        // Nodes whose every retainer is inessential (weak-only) hang off the root, with the
        // nodes reachable from them.
        if t.count() < n {
            let mut retained = BitSet::new(n);
            for from in (0..n as u32).filter(|&from| t.number[from as usize + 1] == 0) {
                for e in graph.edges(from).filter(|&e| essential.contains(e)) {
                    retained.insert(graph.edge_to[e] as usize);
                }
            }
            let mut found = BitSet::new(n);
            for v in 1..=n as u32 {
                let node = (v - 1) as usize;
                if t.number[v as usize] == 0 && !retained.contains(node) {
                    found.insert(node);
                    t.visit(v, 1, u32::MAX);
                    t.run(graph, &mut essential, v);
                }
            }
            orphans = Some(found);
        }
        // What is left is held only by cliques of unreachable nodes: each one hangs off the
        // root. Their edges (among themselves) are met once all are numbered.
        let scanned = t.count();
        if scanned < n {
            for v in 1..=n as u32 {
                if t.number[v as usize] == 0 {
                    t.visit(v, 1, u32::MAX);
                }
            }
            for i in scanned + 1..=t.count() {
                let v = t.vertex[i];
                for e in graph.edges(v - 1) {
                    if essential.contains(e) && !t.meet(i as u32, graph.edge_to[e] + 1) {
                        essential.remove(e);
                    }
                }
            }
        }
    }
    let count = vertex.len() - 1;
    // The DFS left only the edges from predecessors numbered after their targets: listed by
    // the target's number (less one, the lists' key), as the predecessors' numbers.
    // (Found a word of the set at a time, their sources by walking the edge ranges along.)
    let later_edges = || {
        let (number, first_edge) = (&number, &graph.first_edge);
        let mut from = 0;
        essential.edges.present().map(move |e| {
            while first_edge[from + 1] as usize <= e {
                from += 1;
            }
            (number[graph.edge_to[e] as usize + 1] - 1, number[from + 1])
        })
    };
    let (mut first_pred, mut preds) = fill(first_pred, preds, later_edges);
    // Room handed in may be larger than the lists: the rest goes back.
    preds.shrink_to_fit();
    // A number's semidominator starts as the smallest of its own and its predecessors' before it.
    let mut semi = lowest;
    for (i, s) in semi.iter_mut().enumerate() {
        *s = (*s).min(i as u32);
    }
    let orphan = |i: usize| orphans.as_ref().is_some_and(|o: &BitSet| o.contains(vertex[i] as usize - 1));
    // Numbers are not needed past the lists: their memory holds the labels.
    let mut label = number;

    // Semidominators as Lengauer–Tarjan computes them, then semi-NCA (Georgiadis): each
    // immediate dominator is the nearest common ancestor, in the tree built so far, of the
    // parent and the semidominator. It needs no buckets, and fresh memory is costly (see the
    // notes on the machine): the tree is built in place of `parent`.
    //
    // Numbers are linked in decreasing order, so while i's semidominator is computed the
    // linked ones are those above i: `ancestor` needs no zeros, and takes the place of the
    // lists' starts, each spent by then (i reads its own and the next one's). Only the
    // semidominators of the labels are ever compared, never the labels themselves: a linked
    // number's label holds that semidominator (the smallest on its path), so path compression
    // reads one array, not two at random places.
    let mut stack: Vec<u32> = Vec::new();
    let ancestor = &mut first_pred;
    for i in (2..=count).rev() {
        let (p0, p1) = (ancestor[i - 1] as usize, ancestor[i] as usize);
        // An orphan's only predecessor is taken to be the root.
        let mut s = if orphan(i) { semi[1] } else { semi[i] };
        for &v in &preds[p0..p1] {
            // None is smaller than the root's number.
            if s == 1 {
                break;
            }
            // The smallest semidominator on the path from v, a linked number (the lists hold
            // only predecessors numbered after i: each done, and so linked). Path compression,
            // iteratively.
            let mut x = v;
            stack.clear();
            while ancestor[x as usize] as usize > i {
                stack.push(x);
                x = ancestor[x as usize];
            }
            while let Some(w) = stack.pop() {
                let a = ancestor[w as usize] as usize;
                if label[a] < label[w as usize] {
                    label[w as usize] = label[a];
                }
                ancestor[w as usize] = ancestor[a];
            }
            s = s.min(label[v as usize]);
        }
        semi[i] = s;
        ancestor[i] = parent[i];
        label[i] = s;
    }
    drop((first_pred, preds));
    let mut dom = parent;
    dom[1] = 1;
    for i in 2..=count {
        let mut d = dom[i];
        while d > semi[i] {
            d = dom[d as usize];
        }
        dom[i] = d;
    }
    drop(semi);
    // By node: the labels' memory holds the tree.
    let mut idom = label;
    for i in 1..=count {
        idom[vertex[i] as usize - 1] = vertex[dom[i] as usize] - 1;
    }
    idom.truncate(n);
    Dominators { idom, preorder: to_nodes(vertex, count), spare: dom }
}

/// The first `len` entries after entry 0 of an array of vertices, as nodes, in place: vertex v
/// is node v - 1.
fn to_nodes(mut vertices: Vec<u32>, len: usize) -> Vec<u32> {
    for i in 0..len {
        vertices[i] = vertices[i + 1] - 1;
    }
    vertices.truncate(len);
    vertices
}

/// The depth-first numbering, iterative: the path from the run's root is a stack of frames,
/// each remembering where its vertex's scan stopped (in the stack, cache-warm, rather than in
/// an array per vertex). Each essential edge is met once, when its source's scan reaches it,
/// and taken out of the set unless its source is numbered after its target: the set then
/// lists the predecessors to fill in.
struct Dfs<'a> {
    number: &'a mut [u32],
    vertex: &'a mut Vec<u32>,
    parent: &'a mut Vec<u32>,
    /// The smallest number among each number's predecessors numbered before it.
    lowest: &'a mut Vec<u32>,
    /// How many of each number's predecessors are numbered after it (the count of key
    /// `number - 1`, as [`fill`] takes it).
    later: &'a mut [u32],
    stack: Vec<Frame>,
}

impl Dfs<'_> {
    fn count(&self) -> usize {
        self.vertex.len() - 1
    }

    /// Numbers v, whose DFS parent is numbered `parent` and whose predecessors met so far are
    /// numbered `lowest` at the least.
    #[inline(always)]
    fn visit(&mut self, v: u32, parent: u32, lowest: u32) -> u32 {
        let i = self.vertex.len() as u32;
        self.number[v as usize] = i;
        self.vertex.push(v);
        self.parent.push(parent);
        self.lowest.push(lowest);
        i
    }

    /// An edge from the number `pv` to w, numbered: is `pv` after w?
    fn meet(&mut self, pv: u32, w: u32) -> bool {
        let nw = self.number[w as usize];
        Self::meet_numbered(pv, nw, self.later, self.lowest)
    }

    #[inline(always)]
    fn meet_numbered(pv: u32, nw: u32, later: &mut [u32], lowest: &mut [u32]) -> bool {
        if pv > nw {
            later[nw as usize] += 1;
            return true;
        }
        let low = &mut lowest[nw as usize];
        if pv < *low {
            *low = pv;
        }
        false
    }

    fn run(&mut self, graph: &Graph, essential: &mut EssentialEdges, root: u32) {
        // A vertex's frame, with its first targets' numbers asked for at once: the scan reads
        // them in turn, and may descend at any of them (8 % less time in the DFS).
        let frame = |v: u32, pv: u32, number: &[u32]| {
            let (e, end) = (graph.first_edge[v as usize - 1], graph.first_edge[v as usize]);
            for &to in &graph.edge_to[e as usize..end.min(e + 8) as usize] {
                crate::memory::prefetch(number, to as usize + 1);
            }
            Frame { pv, e, end }
        };
        if self.number[root as usize] == 0 {
            self.visit(root, 0, u32::MAX);
        }
        self.stack.push(frame(root, self.number[root as usize], self.number));
        'frames: while let Some(top) = self.stack.last_mut() {
            while top.e < top.end {
                let e = top.e as usize;
                top.e += 1;
                if !essential.contains(e) {
                    continue;
                }
                let pv = top.pv;
                let w = graph.edge_to[e] + 1;
                let nw = self.number[w as usize];
                if nw == 0 {
                    // A tree edge, w's first predecessor met: numbered before it.
                    essential.remove(e);
                    let i = self.visit(w, pv, pv);
                    self.stack.push(frame(w, i, self.number));
                    continue 'frames;
                }
                if !Self::meet_numbered(pv, nw, self.later, self.lowest) {
                    essential.remove(e);
                }
            }
            self.stack.pop();
        }
    }
}

/// A vertex on the DFS's path: its number, and where its scan of its edges stands and ends.
struct Frame {
    pv: u32,
    e: u32,
    end: u32,
}

/// Children of each node in the dominator tree.
pub struct DominatedNodes {
    first: Vec<u32>,
    nodes: Vec<u32>,
}

impl DominatedNodes {
    /// `buffers` (any vectors, e.g. spent ones of the dominators) are reused for the result.
    pub fn build(idom: &[u32], buffers: (Vec<u32>, Vec<u32>)) -> DominatedNodes {
        let pairs = || idom.iter().enumerate().filter(|&(node, _)| node as u32 != ROOT).map(|(node, &d)| (d, node as u32));
        let (first, nodes) = group(idom.len(), buffers.0, buffers.1, pairs);
        DominatedNodes { first, nodes }
    }

    pub fn heap_bytes(&self) -> usize {
        (self.first.capacity() + self.nodes.capacity()) * 4
    }

    pub fn children(&self, node: u32) -> &[u32] {
        &self.nodes[self.first[node as usize] as usize..self.first[node as usize + 1] as usize]
    }
}

/// Groups `(key, item)` pairs by key (keys below `key_count`), keeping their order: items with
/// key k are `items[first[k]..first[k + 1]]`. `pairs` is called twice, to count and to fill.
/// The result goes into the memory of `first` and `items`, cheaper to reuse than fresh memory.
pub(crate) fn group<I: Iterator<Item = (u32, u32)>>(
    key_count: usize,
    mut first: Vec<u32>,
    items: Vec<u32>,
    pairs: impl Fn() -> I,
) -> (Vec<u32>, Vec<u32>) {
    first.clear();
    first.resize(key_count + 1, 0);
    for (k, _) in pairs() {
        first[k as usize + 1] += 1;
    }
    fill(first, items, pairs)
}

/// [`group`] once counted: `first[k + 1]` holds how many items key k has. The fill uses
/// `first[k]` as k's cursor (it ends at k + 1's start), so no second array.
fn fill<I: Iterator<Item = (u32, u32)>>(mut first: Vec<u32>, mut items: Vec<u32>, pairs: impl Fn() -> I) -> (Vec<u32>, Vec<u32>) {
    let key_count = first.len() - 1;
    // The running sum in a register, not read back from the entry just stored.
    let mut sum = 0;
    for f in &mut first {
        sum += *f;
        *f = sum;
    }
    items.clear();
    items.resize(first[key_count] as usize, 0);
    for (k, item) in pairs() {
        items[first[k as usize] as usize] = item;
        first[k as usize] += 1;
    }
    first.copy_within(0..key_count, 1);
    first[0] = 0;
    (first, items)
}
