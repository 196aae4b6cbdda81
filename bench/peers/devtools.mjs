#!/usr/bin/env node
// Chrome DevTools' own snapshot model (heap-snapshot-toolkit): parse, which
// also computes distances, dominators and retained sizes, then the class
// summary ("Summary" view: aggregates with per-class retained sizes).
import { createReadStream } from 'node:fs';
import { parse } from 'heap-snapshot-toolkit';

const file = process.argv[2];
const snapshot = await parse(createReadStream(file, 'utf-8'));
const aggregates = snapshot.aggregatesWithFilter({});
const classes = Object.values(aggregates);
const top = classes.reduce((a, b) => (b.maxRet > a.maxRet ? b : a));
const stats = snapshot.getStatistics();
console.log(`devtools: ${snapshot.nodeCount} nodes, ${snapshot.containmentEdges.length / snapshot.edgeFieldsCount} edges, total ${stats.total} B, ` +
  `${classes.length} classes, top retained class ${top.name} (${top.count} objs, ${top.maxRet} B)`);
