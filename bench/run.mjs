#!/usr/bin/env node
// Run heapdiff and its peers on snapshot files, one process per run, under
// /usr/bin/time (wall seconds, CPU seconds, peak RSS), and print a markdown table.
//
//   node run.mjs [--repeat N] [--gap SEC] [--tools a,b] [--timeout SEC] [FILE...]
//   node run.mjs --diff [--repeat N] BASE CURRENT [BASE CURRENT ...]   (heapdiff diff vs DevTools' diff)
//   node run.mjs --leaks [--repeat N] S1 S2 S3                         (heapdiff leaks)
//   --keep-env: run the tools with NODE_EXTRA_CA_CERTS if set (cleared by default, see below)
//
// With no FILE, every data/*.heapsnapshot is used, smallest first. A crash,
// OOM or timeout is recorded as a result, never aborts the run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHeader } from './generate.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH); // the heapdiff repo
const PEER_HEAP_MB = 16384; // Node's default limit (~4 GB) is too small for the peers on large files

// heapdiff's command: change it here. Run from the repo root.
const HEAPDIFF_CLI = path.join(ROOT, 'dist/src/cli.js');
const heapdiff = (file) => ['node', HEAPDIFF_CLI, 'analyze', file, '--json'];

const ANALYZE_TOOLS = {
  heapdiff: { cwd: ROOT, cmd: heapdiff, missing: () => !fs.existsSync(HEAPDIFF_CLI) && `${path.relative(BENCH, HEAPDIFF_CLI)} not built yet` },
  devtools: { cwd: BENCH, cmd: (f) => ['node', `--max-old-space-size=${PEER_HEAP_MB}`, 'peers/devtools.mjs', f] },
  memlab: { cwd: BENCH, cmd: (f) => ['node', `--max-old-space-size=${PEER_HEAP_MB}`, 'peers/memlab.mjs', f] },
  vscode: { cwd: BENCH, cmd: (f) => ['node', `--max-old-space-size=${PEER_HEAP_MB}`, 'peers/vscode.mjs', f] },
};
// In --diff and --leaks mode a "file" is a list of files (a pair, or the series).
const DIFF_TOOLS = {
  heapdiff: { cwd: ROOT, cmd: (fs) => ['node', HEAPDIFF_CLI, 'diff', ...fs, '--json'], missing: ANALYZE_TOOLS.heapdiff.missing },
  devtools: { cwd: BENCH, cmd: (fs) => ['node', `--max-old-space-size=${PEER_HEAP_MB}`, 'peers/devtools-diff.mjs', ...fs] },
};
const LEAKS_TOOLS = {
  heapdiff: { cwd: ROOT, cmd: (fs) => ['node', HEAPDIFF_CLI, 'leaks', ...fs, '--json'], missing: ANALYZE_TOOLS.heapdiff.missing },
};

// --- arguments ---------------------------------------------------------------
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : argv.splice(i, 2)[1];
};
const flag = (name) => {
  const i = argv.indexOf(name);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
};
const mode = flag('--diff') ? 'diff' : flag('--leaks') ? 'leaks' : 'analyze';
const TOOLS = { analyze: ANALYZE_TOOLS, diff: DIFF_TOOLS, leaks: LEAKS_TOOLS }[mode];
const repeat = Math.max(1, Number(opt('--repeat', 1)));
const timeoutSec = Number(opt('--timeout', 3600));
const gapSec = Number(opt('--gap', 0));
const tools = opt('--tools', Object.keys(TOOLS).join(',')).split(',');
// Node 20 reads and parses NODE_EXTRA_CA_CERTS's bundle at every start, before any of a tool's
// code runs (0.06-0.09 s on this machine, whose environment sets it): no tool here makes a TLS
// connection, so the runs go without it unless asked to keep it.
const env = { ...process.env };
if (!flag('--keep-env') && env.NODE_EXTRA_CA_CERTS !== undefined) {
  delete env.NODE_EXTRA_CA_CERTS;
  console.error('note: the runs go without NODE_EXTRA_CA_CERTS (--keep-env keeps it)');
}
let files = argv.map((f) => path.resolve(f));
if (mode === 'diff') files = files.flatMap((f, i) => (i % 2 ? [[files[i - 1], f]] : []));
if (mode === 'leaks') files = [files];
if (!files.length && mode === 'analyze') {
  const dir = path.join(BENCH, 'data');
  files = (fs.existsSync(dir) ? fs.readdirSync(dir) : [])
    .filter((f) => f.endsWith('.heapsnapshot'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(a).size - fs.statSync(b).size);
}
if (!files.length) { console.error('no snapshot files; run generate.mjs first'); process.exit(2); }

// --- one run -----------------------------------------------------------------
function runOnce(tool, file) {
  const [cmd, ...args] = TOOLS[tool].cmd(file);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', 'timeout', '-k', '10', String(timeoutSec), cmd, ...args], {
    cwd: TOOLS[tool].cwd, env, encoding: 'utf8', maxBuffer: 1 << 30,
  });
  const errLines = (r.stderr ?? '').trim().split('\n');
  const m = errLines.at(-1)?.match(/(\d+\.\d\d) (\d+) (\d+\.\d\d) (\d+\.\d\d)$/); // progress output may share the line
  // CPU: user + system, of every thread. The same work costs more of it when the machine is
  // slower for a while (a shared host), so it tells a slow stretch from a slower program.
  const res = { secs: m ? Number(m[1]) : null, peakKB: m ? Number(m[2]) : null, cpu: m ? Number(m[3]) + Number(m[4]) : null };
  if (r.status !== 0) return { ...res, ok: false, note: failure(errLines, res.secs) };
  return { ...res, ok: true, note: summarize(tool, r.stdout ?? '') };
}

// The peers print a one-line summary; heapdiff prints JSON (--json).
function summarize(tool, stdout) {
  if (mode !== 'analyze') {
    try {
      const r = JSON.parse(stdout);
      if (mode === 'diff') return `${tool}: ${r.mode}, ${r.classes.length} changed classes, top ${r.classes[0]?.name} (${r.classes[0]?.retainedDelta} B retained)`;
      return `${tool}: ${r.suspects.length} suspects, top ${r.suspects[0]?.verdict ?? '-'}`.slice(0, 200);
    } catch {
      return stdout.trim().split('\n').at(-1).slice(0, 200);
    }
  }
  try {
    const { summary: s, classes } = JSON.parse(stdout);
    const top = classes.reduce((a, b) => (b.retainedSize > a.retainedSize ? b : a));
    return `${tool}: ${s.nodeCount} nodes, ${s.edgeCount} edges, total ${s.totalSize} B, ${s.classCount} classes, ` +
      `top retained class ${top.name} (${top.count} objs, ${top.retainedSize} B)`;
  } catch {
    return stdout.trim().split('\n').at(-1).slice(0, 200);
  }
}

// A short reason from the tail of stderr.
function failure(lines, secs) {
  const text = lines.join('\n');
  const status = Number(text.match(/non-zero status (\d+)/)?.[1]);
  if (status === 124) return `timeout (${timeoutSec} s)`;
  if (/heap out of memory|Allocation failed/.test(text)) return 'OOM (JS heap limit)';
  if (status === 137) return 'killed (SIGKILL: out of memory?)';
  const wasm = text.match(/RuntimeError: ([^\n]+)/);
  if (wasm) return `crashed (RuntimeError: ${wasm[1].slice(0, 80)})`;
  if (status > 128) return `crashed (signal ${status - 128})`;
  if (status === 13) return 'failed (exit 13: never finished, top-level await left unsettled)';
  const err = lines.slice(0, -2).filter((l) => l.trim() && !/^\s+at |^\s*\^|^Node\.js v|^node:internal|triggerUncaught|^\(Use `node/.test(l)).at(-1);
  return `failed (exit ${status || '?'})${err ? ': ' + err.trim().slice(0, 120) : ''}`;
}

const sleep = (secs) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, secs * 1000);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };

// --- all runs ----------------------------------------------------------------
const last = (file) => (Array.isArray(file) ? file.at(-1) : file);
const label = (file) => (Array.isArray(file) ? file.map((f) => path.basename(f)).join(' → ') : path.basename(file));
const results = []; // { file, tool, runs: [...] }
for (const file of files) {
  const entries = tools.map((tool) => {
    if (!TOOLS[tool]) { console.error(`unknown tool ${tool}`); process.exit(2); }
    const entry = { file, tool, runs: [] };
    results.push(entry);
    const skip = TOOLS[tool].missing?.();
    if (skip) { entry.skipped = skip; console.error(`skip ${tool}: ${skip}`); }
    return entry;
  });
  // Rounds, each running every tool once: the machine's load varies from minute to minute,
  // so each tool's best comes from the same stretches of time.
  for (let i = 0; i < repeat; i++) {
    for (const entry of entries) {
      if (entry.skipped || entry.runs.some((r) => !r.ok)) continue; // a crash will crash again
      if (gapSec > 0 && results.some((e) => e.runs.length)) sleep(gapSec);
      const r = runOnce(entry.tool, file);
      entry.runs.push(r);
      console.error(`${label(file)} ${entry.tool} #${i + 1}: ${r.secs ?? '?'} s (${r.cpu?.toFixed(2) ?? '?'} s CPU), ${r.peakKB ?? '?'} KB, ${r.ok ? 'ok' : 'FAIL'} ${r.note}`);
    }
  }
}

// --- table -------------------------------------------------------------------
const count = (n) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(2)} M` : '?');
const mb = (kb) => (kb / 1024).toFixed(0);
console.log(`| file | size | nodes | edges | tool | best s | median s | median CPU s | peak RSS MB | time / heapdiff | peak / heapdiff | result |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|`);
for (const file of files) {
  const { node_count, edge_count } = readHeader(last(file));
  const size = `${([file].flat().reduce((sum, f) => sum + fs.statSync(f).size, 0) / 1e6).toFixed(0)} MB`;
  const stat = (e) => {
    const ok = e.runs.filter((r) => r.ok);
    if (!ok.length) return null;
    return { best: Math.min(...ok.map((r) => r.secs)), med: median(ok.map((r) => r.secs)), cpu: median(ok.map((r) => r.cpu)), peak: median(ok.map((r) => r.peakKB)) };
  };
  const base = stat(results.find((e) => e.file === file && e.tool === 'heapdiff') ?? { runs: [] });
  for (const e of results.filter((x) => x.file === file)) {
    const s = stat(e);
    const last = e.runs.at(-1);
    const note = e.skipped ? `skipped: ${e.skipped}` : (s ? e.runs.find((r) => r.ok).note : `**${last.note}** (after ${last.secs ?? '?'} s, ${last.peakKB ? mb(last.peakKB) : '?'} MB)`);
    const ratio = (a, b) => (s && base && e.tool !== 'heapdiff' ? `${(a / b).toFixed(1)}×` : '');
    console.log(`| ${label(file)} | ${size} | ${count(node_count)} | ${count(edge_count)} | ${e.tool} | ` +
      `${s ? s.best.toFixed(1) : '–'} | ${s ? s.med.toFixed(1) : '–'} | ${s ? s.cpu.toFixed(1) : '–'} | ${s ? mb(s.peak) : '–'} | ` +
      `${ratio(s?.best, base?.best)} | ${ratio(s?.peak, base?.peak)} | ${note.replaceAll('|', '\\|')} |`);
  }
}
console.log(`\n${repeat} run(s) per cell${gapSec > 0 ? `, ${gapSec} s apart` : ''}; best and median wall time, median CPU time (user + system), median peak RSS; ratios are peer / heapdiff (best time, peak RSS).`);
