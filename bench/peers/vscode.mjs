#!/usr/bin/env node
// @vscode/v8-heap-parser (Rust compiled to WASM): decode_bytes parses the
// whole file and builds the graph, dominators and retained sizes; the class
// groups (sorted by retained size) are its class summary.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { decode_bytes } = createRequire(import.meta.url)('@vscode/v8-heap-parser');
const file = process.argv[2];
const graph = decode_bytes(readFileSync(file));
const groups = graph.get_class_groups(0, 0xffffffff, false);
let nodes = 0, total = 0n;
for (const g of groups) { nodes += g.children_len; total += g.self_size; }
const top = groups[0];
console.log(`vscode: ${nodes} nodes, total ${total} B, ${groups.length} classes, ` +
  `top retained class ${top.name()} (${top.children_len} objs, ${top.retained_size} B)`);
