#!/usr/bin/env node
// memlab: getFullHeapFromFile parses the snapshot and computes shortest paths,
// dominators and retained sizes. The class summary (count, shallow size,
// retained size of the outermost members of each class, as DevTools does it)
// is then built here from memlab's dominator tree.
import memlab from '@memlab/heap-analysis';

const file = process.argv[2];
const heap = await memlab.getFullHeapFromFile(file);

// Dominator tree as child lists, by node index.
const n = heap.nodes.length;
const parent = new Int32Array(n).fill(-1);
const retained = new Float64Array(n);
const sizes = new Float64Array(n); // shallow
const classOf = new Array(n);
const classes = new Map(); // name -> { count, self, retained }
let total = 0;
heap.nodes.forEach((node) => {
  const d = node.dominatorNode;
  if (d && d.id !== node.id) parent[node.nodeIndex] = d.nodeIndex;
  const name = className(node);
  classOf[node.nodeIndex] = name;
  retained[node.nodeIndex] = node.retainedSize;
  sizes[node.nodeIndex] = node.self_size;
  let c = classes.get(name);
  if (!c) classes.set(name, (c = { name, count: 0, self: 0, retained: 0 }));
  c.count++;
  c.self += node.self_size;
  total += node.self_size;
});
// A node (of non-zero size) adds its retained size to its class unless an
// ancestor in the dominator tree already belongs to that class (DevTools'
// rule): walk the dominator tree depth-first with an explicit stack.
const kids = childLists(parent);
const open = new Map(); // class -> members of it on the current path
const stack = new Int32Array(2 * n + 1); // i: enter node i, ~i: leave it
let sp = 0;
stack[sp++] = 0; // the root
while (sp) {
  const v = stack[--sp];
  const i = v < 0 ? ~v : v;
  const name = classOf[i];
  if (v < 0) { open.set(name, open.get(name) - 1); continue; }
  if (!open.get(name) && sizes[i] > 0) classes.get(name).retained += retained[i];
  open.set(name, (open.get(name) ?? 0) + 1);
  stack[sp++] = ~i;
  for (let k = kids.start[i]; k < kids.start[i + 1]; k++) stack[sp++] = kids.list[k];
}
const top = [...classes.values()].reduce((a, b) => (b.retained > a.retained ? b : a));
console.log(`memlab: ${n} nodes, ${heap.edges.length} edges, total ${total} B, ${classes.size} classes, ` +
  `top retained class ${top.name} (${top.count} objs, ${top.retained} B)`);

function className(node) {
  switch (node.type) {
    case 'hidden': return '(system)';
    case 'object': case 'native': return node.name;
    case 'code': return '(compiled code)';
    case 'closure': return 'Function';
    case 'regexp': return 'RegExp';
    default: return `(${node.type})`;
  }
}

function childLists(parent) {
  const start = new Int32Array(parent.length + 1);
  for (const p of parent) if (p >= 0) start[p + 1]++;
  for (let i = 0; i < parent.length; i++) start[i + 1] += start[i];
  const fill = start.slice(0, parent.length);
  const list = new Int32Array(start[parent.length]);
  parent.forEach((p, i) => { if (p >= 0) list[fill[p]++] = i; });
  return { start, list };
}
