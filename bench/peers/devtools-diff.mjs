#!/usr/bin/env node
// Chrome DevTools' Comparison view with its own snapshot model (heap-snapshot-toolkit): parse
// both snapshots, classify the base with the current snapshot's interface definitions, and
// join by id per class — what the Comparison view computes.
import { createReadStream } from 'node:fs';
import { parse } from 'heap-snapshot-toolkit';

const [basePath, currentPath] = process.argv.slice(2);
const load = (f) => parse(createReadStream(f, 'utf-8'));
const [base, current] = await Promise.all([load(basePath), load(currentPath)]);
const diff = current.calculateSnapshotDiff('base', base.aggregatesForDiff(current.interfaceDefinitions()));
const rows = Object.values(diff);
const top = rows.reduce((a, b) => (b.sizeDelta > a.sizeDelta ? b : a));
console.log(`devtools: ${rows.length} changed classes, top growth ${top.name} (+${top.addedCount}/-${top.removedCount}, ${top.sizeDelta} B)`);
