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
        let mut edges = BitSet::new(graph.edge_count());
        for from in 0..graph.node_count() as u32 {
            for e in graph.edges(from) {
                let t = graph.edge_type[e];
                if t == k.weak {
                    continue;
                }
                if let Some(ep) = ephemerons.of_edge(graph, e) {
                    if graph.node_id[from as usize] as u64 == ep.table_id {
                        continue;
                    }
                }
                let to = graph.edge_to[e];
                if to == from {
                    continue;
                }
                if from != ROOT && t == k.shortcut {
                    continue;
                }
                edges.insert(e);
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
/// (they take a while to fault in): vertices are numbered 1..=n as in the paper, 0 meaning
/// "none", and vertex v is node v - 1.
pub struct Workspace {
    parent: Vec<u32>,
    semi: Vec<u32>,
    vertex: Vec<u32>,
    label: Vec<u32>,
    /// When w's semidominator is computed (in reverse preorder), a predecessor numbered before
    /// w is not linked yet and offers its own number, so only the smallest of those matters:
    /// the DFS notes it (in `label`, free until then) as it meets each edge, and it is folded
    /// into `semi` after. Only predecessors numbered after w need a list: the DFS counts them
    /// (`first_pred[w]`), and one pass over the edges fills the lists. The DFS tree's own
    /// edges are of the first kind: about 4 B per node less at this, the analysis's peak.
    first_pred: Vec<u32>,
    /// Room for those lists (memory the graph no longer needs, or none).
    preds: Vec<u32>,
}

impl Workspace {
    /// The arrays for `graph`; the predecessor lists go in `preds`, grown if need be.
    pub fn new(graph: &Graph, preds: Vec<u32>) -> Workspace {
        let len = graph.node_count() + 1;
        let zeroed = crate::memory::zeroed::<u32>;
        Workspace { parent: zeroed(len), semi: zeroed(len), vertex: zeroed(len), label: vec![u32::MAX; len], first_pred: zeroed(len), preds }
    }
}

/// Computes the dominator tree rooted at node 0, in the arrays of `workspace` (made for this
/// graph).
pub fn compute(graph: &Graph, mut essential: EssentialEdges, workspace: Workspace) -> Dominators {
    let n = graph.node_count();
    if n == 0 {
        return Dominators { idom: Vec::new(), preorder: Vec::new(), spare: Vec::new() };
    }
    let Workspace { mut parent, mut semi, mut vertex, mut label, mut first_pred, preds } = workspace;
    let len = n + 1;
    let mut count = 0u32;
    // The nodes with no essential retainer, which hang off the root. They are among those the
    // root cannot reach (it reaches the others by essential edges), as are their would-be
    // essential retainers: so they are found once the DFS from the root is done.
    let mut orphans = None;
    {
        let mut t = Dfs {
            parent: &mut parent,
            semi: &mut semi,
            vertex: &mut vertex,
            lowest: &mut label,
            later: &mut first_pred,
            count: &mut count,
            stack: Vec::new(),
        };
        let r = ROOT + 1;
        t.run(graph, &mut essential, r);
        // Nodes whose every retainer is inessential (weak-only) hang off the root, with the
        // nodes reachable from them.
        if (*t.count as usize) < n {
            let mut retained = BitSet::new(n);
            for from in (0..n as u32).filter(|&from| t.semi[from as usize + 1] == 0) {
                for e in graph.edges(from).filter(|&e| essential.contains(e)) {
                    retained.insert(graph.edge_to[e] as usize);
                }
            }
            let mut found = BitSet::new(n);
            for v in 1..=n as u32 {
                let node = (v - 1) as usize;
                if t.semi[v as usize] == 0 && !retained.contains(node) {
                    found.insert(node);
                    t.parent[v as usize] = r;
                    t.run(graph, &mut essential, v);
                }
            }
            orphans = Some(found);
        }
        // What is left is held only by cliques of unreachable nodes: each one hangs off the
        // root. Their edges (among themselves) are met once all are numbered.
        let scanned = *t.count;
        if (scanned as usize) < n {
            for v in 1..=n as u32 {
                if t.semi[v as usize] == 0 {
                    t.parent[v as usize] = r;
                    t.visit(v);
                }
            }
            for i in scanned + 1..=*t.count {
                let v = t.vertex[i as usize];
                for e in graph.edges(v - 1) {
                    if essential.contains(e) && !t.meet(v, graph.edge_to[e] + 1) {
                        essential.remove(e);
                    }
                }
            }
        }
    }
    let r = ROOT + 1;
    // The DFS left only the edges from predecessors numbered after their targets.
    let later_edges = || {
        let essential = &essential;
        (0..n as u32).flat_map(move |from| graph.edges(from).filter(|&e| essential.contains(e)).map(move |e| (graph.edge_to[e], from)))
    };
    let (first_pred, mut preds) = fill(first_pred, preds, later_edges);
    // Room handed in may be larger than the lists: the rest goes back before `ancestor` is made.
    preds.shrink_to_fit();
    for (s, low) in semi.iter_mut().zip(label.iter()) {
        *s = (*s).min(*low);
    }

    // Semidominators as Lengauer–Tarjan computes them, then semi-NCA (Georgiadis): each
    // immediate dominator is the nearest common ancestor, in the tree built so far, of the
    // parent and the semidominator. It needs no buckets, and fresh memory is costly (see the
    // notes on the machine): `label` becomes the preorder number, and the tree is built in
    // place of `parent`.
    //
    // Only the semidominators of the labels are ever compared, never the labels themselves:
    // a linked vertex's label holds that semidominator (the smallest on its path), so path
    // compression reads one array, not two at random places.
    let mut ancestor = crate::memory::zeroed::<u32>(len);
    let mut stack: Vec<u32> = Vec::new();
    // The smallest semidominator on the path from v, a linked vertex (the lists hold only
    // predecessors numbered after the vertex in hand: each done, and so linked).
    let mut evaluate = |v: u32, ancestor: &mut [u32], label: &mut [u32]| -> u32 {
        // Path compression, iteratively.
        let mut x = v;
        stack.clear();
        while ancestor[ancestor[x as usize] as usize] != 0 {
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
        label[v as usize]
    };
    for i in (2..=count).rev() {
        let w = vertex[i as usize];
        let node = (w - 1) as usize;
        let (p0, p1) = (first_pred[node] as usize, first_pred[node + 1] as usize);
        if orphans.as_ref().is_some_and(|o| o.contains(node)) {
            // An orphan: its only predecessor is taken to be the root.
            semi[w as usize] = semi[r as usize];
        }
        for &pred in &preds[p0..p1] {
            let s = evaluate(pred + 1, &mut ancestor, &mut label);
            if s < semi[w as usize] {
                semi[w as usize] = s;
            }
        }
        ancestor[w as usize] = parent[w as usize];
        label[w as usize] = semi[w as usize];
    }
    drop((ancestor, preds, first_pred));
    let number = &mut label;
    for i in 1..=count {
        number[vertex[i as usize] as usize] = i;
    }
    let mut dom = parent;
    dom[r as usize] = r;
    for i in 2..=count as usize {
        let w = vertex[i] as usize;
        let mut d = dom[w];
        while number[d as usize] > semi[w] {
            d = dom[d as usize];
        }
        dom[w] = d;
    }
    drop(semi);

    Dominators { idom: to_nodes(dom, n), preorder: to_nodes(vertex, count as usize), spare: label }
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
/// lists the predecessors to fill in, with no lookups of numbers.
struct Dfs<'a> {
    parent: &'a mut [u32],
    semi: &'a mut [u32],
    vertex: &'a mut [u32],
    /// The smallest number among each vertex's predecessors numbered before it.
    lowest: &'a mut [u32],
    /// How many of each vertex's predecessors are numbered after it.
    later: &'a mut [u32],
    count: &'a mut u32,
    stack: Vec<Frame>,
}

impl Dfs<'_> {
    fn visit(&mut self, v: u32) {
        *self.count += 1;
        self.semi[v as usize] = *self.count;
        self.vertex[*self.count as usize] = v;
    }

    /// An edge from v to w, both numbered: is v numbered after w?
    fn meet(&mut self, v: u32, w: u32) -> bool {
        Self::meet_from(self.semi[v as usize], w, self.semi, self.later, self.lowest)
    }

    /// An edge to w from the vertex numbered `pv`: is that after w?
    #[inline(always)]
    fn meet_from(pv: u32, w: u32, semi: &[u32], later: &mut [u32], lowest: &mut [u32]) -> bool {
        let w = w as usize;
        if pv > semi[w] {
            later[w] += 1;
            return true;
        }
        if pv < lowest[w] {
            lowest[w] = pv;
        }
        false
    }

    fn run(&mut self, graph: &Graph, essential: &mut EssentialEdges, root: u32) {
        let frame = |v: u32, pv: u32| Frame { v, pv, e: graph.first_edge[v as usize - 1], end: graph.first_edge[v as usize] };
        if self.semi[root as usize] == 0 {
            self.visit(root);
        }
        self.stack.push(frame(root, self.semi[root as usize]));
        'frames: while let Some(top) = self.stack.last_mut() {
            while top.e < top.end {
                let e = top.e as usize;
                top.e += 1;
                if !essential.contains(e) {
                    continue;
                }
                let (v, pv) = (top.v, top.pv);
                let w = graph.edge_to[e] + 1;
                if self.semi[w as usize] == 0 {
                    // A tree edge, w's first predecessor met: numbered before it.
                    essential.remove(e);
                    self.parent[w as usize] = v;
                    self.lowest[w as usize] = pv;
                    self.visit(w);
                    self.stack.push(frame(w, *self.count));
                    continue 'frames;
                }
                if !Self::meet_from(pv, w, self.semi, self.later, self.lowest) {
                    essential.remove(e);
                }
            }
            self.stack.pop();
        }
    }
}

/// A vertex on the DFS's path: its number, and where its scan of its edges stands and ends.
struct Frame {
    v: u32,
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
    for i in 0..key_count {
        first[i + 1] += first[i];
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
