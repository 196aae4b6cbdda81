#!/usr/bin/env node
// Copies a snapshot with JSON whitespace inserted before its "edges" member, so that the edges
// and the strings lie past 4 GiB: a check of a >4 GiB file without waiting hours for Node to
// write one.
//
//   node pad.mjs data/medium.heapsnapshot data/padded.heapsnapshot [PAD_BYTES]
//
// PAD_BYTES defaults to 3.8 GB. The result has the same graph as its source, so
// `heapdiff analyze` should print the same report for both.
import fs from 'node:fs';

const [src, dst, padArg] = process.argv.slice(2);
if (!src || !dst) {
  console.error('usage: node pad.mjs SOURCE DEST [PAD_BYTES]');
  process.exit(2);
}
const pad = Number(padArg ?? 3_800_000_000);
const key = Buffer.from('"edges"');
const input = fs.openSync(src, 'r');
const tmp = `${dst}.tmp-${process.pid}`;
const output = fs.openSync(tmp, 'w');
const chunk = Buffer.alloc(64 << 20);
let pending = Buffer.alloc(0); // the tail of the last chunk, in case the key straddles two
let padded = false;
for (;;) {
  const n = fs.readSync(input, chunk, 0, chunk.length, null);
  if (n === 0) break;
  let data = Buffer.concat([pending, chunk.subarray(0, n)]);
  if (!padded) {
    const at = data.indexOf(key); // the first "edges" is the member: strings come after it
    if (at >= 0) {
      fs.writeSync(output, data.subarray(0, at));
      const spaces = Buffer.alloc(64 << 20, 0x20);
      for (let left = pad; left > 0; left -= spaces.length) fs.writeSync(output, spaces, 0, Math.min(left, spaces.length));
      data = data.subarray(at);
      padded = true;
    } else {
      const keep = Math.min(data.length, key.length - 1);
      fs.writeSync(output, data.subarray(0, data.length - keep));
      pending = Buffer.from(data.subarray(data.length - keep));
      continue;
    }
  }
  fs.writeSync(output, data);
  pending = Buffer.alloc(0);
}
fs.writeSync(output, pending);
fs.closeSync(output);
fs.closeSync(input);
if (!padded) {
  fs.unlinkSync(tmp);
  console.error(`${src}: no "edges" member`);
  process.exit(1);
}
fs.renameSync(tmp, dst);
console.log(`${dst}: ${fs.statSync(dst).size} bytes`);
