#!/usr/bin/env node
// Build a large, realistic object graph and write it as a V8 heap snapshot.
//
//   node --max-old-space-size=8192 generate.mjs small|medium|large [--units N] [--series K]
//
// Writes bench/data/<name>.heapsnapshot and prints nodes, edges and bytes. With --series K it
// writes K snapshots of one process instead, <name>-0.heapsnapshot ... <name>-(K-1), adding 5%
// more units (a leak) and dropping the oldest 2% of sessions between consecutive ones: inputs
// for `heapdiff diff` and `heapdiff leaks`.
// The graph is deterministic (seeded PRNG), so the same name gives a
// snapshot of the same shape every time.
import v8 from 'node:v8';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Units per target. One "unit" is a customer with its orders, line items,
// session, closures, maps, sets, strings ... (see makeUnit). Calibrated on
// Node 20: ~99 snapshot nodes, ~260 edges and ~7.5 KB of file per unit.
export const TARGETS = {
  small: 3_600, // 31 MB, 0.41 M nodes, 1.17 M edges
  medium: 64_000, // 479 MB, 6.3 M nodes, 16.6 M edges
  large: 195_000, // ~1.46 GB, ~19.2 M nodes, ~51 M edges (extrapolated)
};

// --- deterministic randomness -----------------------------------------------
let seed = 0x9e3779b9;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const int = (n) => Math.floor(rand() * n);

const FIRST = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara', 'Ken', 'Dennis', 'Margaret', 'Edsger', 'Frances'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Liskov', 'Thompson', 'Ritchie', 'Hamilton', 'Dijkstra', 'Allen'];
const CITIES = ['Lisbon', 'Oslo', 'Kyoto', 'Austin', 'Nairobi', 'Lima', 'Perth', 'Gdansk'];
const TAGS = ['vip', 'new', 'churn-risk', 'beta', 'wholesale', 'eu', 'us', 'apac', 'mobile', 'desktop'];
const LOREM = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua '.repeat(4);

// --- classes ----------------------------------------------------------------
class Product {
  constructor(i) {
    this.sku = `SKU-${i.toString(36).padStart(6, '0')}`;
    this.title = `${pick(TAGS)} widget ${i}`;
    this.price = 1 + int(10000) / 100;
    this.dims = new Float64Array(4).map(() => rand());
  }
}
class LineItem {
  constructor(product, qty) { this.product = product; this.qty = qty; this.price = product.price * qty; }
}
class Order {
  constructor(id, customer) {
    this.id = id;
    this.customer = customer; // cycle: customer.orders[i].customer === customer
    this.items = [];
    this.status = pick(['open', 'paid', 'shipped', 'returned']);
    this.createdAt = new Date(1_700_000_000_000 + id * 1000);
  }
}
class Customer {
  constructor(id, rec) { // rec: a record "from the database" (flat strings)
    this.id = id;
    this.name = rec.name;
    this.email = rec.email;
    this.address = { street: rec.street, city: pick(CITIES), zip: 10000 + int(89999) };
    this.balance = rec.balance; // heap number
    this.orders = [];
    this.tags = new Set();
    this.friends = [];
  }
}
class Session {
  constructor(customer, rec) {
    this.customer = customer;
    this.token = rec.token;
    this.history = rec.history;
    this.audit = rec.audit; // records of short flat strings
    this.listeners = new Map();
  }
  on(event, fn) { this.listeners.set(event, fn); }
}
class TreeNode { // nested structure
  constructor(label, parent) { this.label = label; this.parent = parent; this.children = []; }
}
class ChainLink { // deep chains
  constructor(value, next) { this.value = value; this.next = next; }
}

// --- one unit of the graph --------------------------------------------------
// A JSON record as it would arrive from a database or an HTTP API.
function record(id) {
  const history = Array.from({ length: int(4) }, () => `"/page/${int(500)}?ref=${id}"`);
  // audit entries: strings longer than 10 chars (JSON.parse does not internalize them) and doubles
  const audit = Array.from({ length: 3 + int(4) }, (_, j) => `{"at":"2024-01-${10 + j}T${id % 24}:00","ip":"10.${int(256)}.${int(256)}.${int(256)}",` +
    `"path":"/api/v1/items/${int(1e6)}","agent":"client/${int(1e4)}.${id}","trace":"${(rand() * 1e16).toString(36)}",` +
    `"ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.${int(99)} (KHTML, like Gecko) Chrome/${int(130)}.0.${int(9999)}.${int(999)} Safari/537.36 build/${int(1e9)}",` +
    `"ms":${(rand() * 900).toFixed(3)},"kb":${(rand() * 64).toFixed(2)},"cpu":${rand().toFixed(4)},"lat":${(rand() * 180 - 90).toFixed(5)},"lon":${(rand() * 360 - 180).toFixed(5)}}`);
  return `{"name":"${pick(FIRST)} ${pick(LAST)} #${id}","email":"user${id}@example.${pick(['com', 'org', 'net'])}",` +
    `"street":"${1 + int(999)} Main St","balance":${(rand() * 1e4).toFixed(2)},` +
    `"token":"${(rand() * 1e16).toString(36)}${(rand() * 1e16).toString(36)}","history":[${history}],"audit":[${audit}]}`;
}

function makeUnit(id, world) {
  const rec = JSON.parse(record(id));
  const c = new Customer(id, rec);
  for (let t = int(4); t > 0; t--) c.tags.add(pick(TAGS));
  for (let o = 1 + int(2); o > 0; o--) {
    const order = new Order(id * 4 + o, c);
    for (let k = 1 + int(3); k > 0; k--) order.items.push(new LineItem(pick(world.products), 1 + int(5)));
    if (rand() < 0.3) order.note = LOREM.slice(int(40), 60 + int(200)); // sliced string
    c.orders.push(order);
  }
  // plain objects of several shapes, one of them nested
  const s = int(4);
  if (s === 0) c.prefs = { theme: 'dark', lang: 'en' };
  else if (s === 1) c.prefs = { theme: 'light', lang: 'pt', notify: { email: true, sms: false } };
  else if (s === 2) c.prefs = { lang: 'ja', currency: 'JPY', limits: [int(100), int(1000)] };
  else { c.prefs = {}; for (let k = 0; k < 12; k++) c.prefs[`opt_${k}_${id % 50}`] = k; } // dictionary mode
  // a session with closures capturing the customer
  const sess = new Session(c, rec);
  const seen = { count: 0 };
  sess.on('click', (e) => { seen.count++; return c.id + e; });
  if (rand() < 0.5) sess.on('close', function onClose() { return sess.token + c.name; });
  world.sessions.push(sess);
  // typed arrays for some customers
  if (id % 8 === 0) c.scores = new Float32Array(32 + int(64));
  // cross links (cycles between customers)
  if (world.customers.length) c.friends.push(world.customers[int(world.customers.length)]);
  // a cache entry keyed by a concatenated string
  if (id % 3 === 0) world.cache.set('k:' + c.email + ':' + id, { value: c, hits: int(100), at: Date.now() });
  world.customers.push(c);
  world.byId.set(id, c);
  return c;
}

function makeTree(depth, fanout, parent, label) {
  const n = new TreeNode(label, parent);
  if (depth > 0) for (let i = 0; i < fanout; i++) n.children.push(makeTree(depth - 1, fanout, n, `${label}.${i}`));
  return n;
}

function makeChain(length, tag) {
  let head = null;
  for (let i = 0; i < length; i++) head = new ChainLink(i % 7 === 0 ? `${tag}-${i}` : i, head);
  return head;
}

export function buildWorld(units) {
  const world = {
    products: Array.from({ length: Math.max(100, units >> 6) }, (_, i) => new Product(i)),
    customers: [], byId: new Map(), sessions: [], cache: new Map(), trees: [], chains: [],
  };
  for (let id = 0; id < units; id++) {
    makeUnit(id, world);
    if (id % 2000 === 0) world.trees.push(makeTree(4, 3, null, `cfg${id}`)); // 121 nodes each
  }
  // deep chains: many medium ones and one very long one (stress recursion depth)
  for (let i = 0; i < Math.max(1, units >> 12); i++) world.chains.push(makeChain(1000, `c${i}`));
  world.chains.push(makeChain(Math.max(10_000, units >> 2), 'deep'));
  return world;
}

// --- main -------------------------------------------------------------------
function main() {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith('--')) ?? 'small';
  const ui = args.indexOf('--units');
  const units = ui >= 0 ? Number(args[ui + 1]) : TARGETS[name];
  if (!units) {
    console.error(`usage: generate.mjs <${Object.keys(TARGETS).join('|')}|NAME --units N>`);
    process.exit(2);
  }
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data');
  fs.mkdirSync(dir, { recursive: true });
  const si = args.indexOf('--series');
  const series = si >= 0 ? Number(args[si + 1]) : 0;

  let t = performance.now();
  const world = buildWorld(units);
  globalThis.__benchWorld = world; // keep it reachable from the global
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(`built ${units} units in ${((performance.now() - t) / 1000).toFixed(1)} s, heap ${heapMB.toFixed(0)} MB`);
  if (series < 1) return write(path.join(dir, `${name}.heapsnapshot`), units);
  let next = units;
  for (let k = 0; k < series; k++) {
    if (k > 0) {
      for (let i = 0; i < units / 20; i++) makeUnit(next++, world);
      world.sessions.splice(0, Math.floor(world.sessions.length / 50));
    }
    write(path.join(dir, `${name}-${k}.heapsnapshot`), units);
  }
}

function write(file, units) {
  const t = performance.now();
  v8.writeHeapSnapshot(file);
  const secs = (performance.now() - t) / 1000;
  const bytes = fs.statSync(file).size;
  const { node_count, edge_count } = readHeader(file);
  console.log(`${file}: ${(bytes / 1e6).toFixed(1)} MB, ${node_count} nodes, ${edge_count} edges ` +
    `(written in ${secs.toFixed(1)} s; ${(bytes / units).toFixed(0)} B, ` +
    `${(node_count / units).toFixed(2)} nodes, ${(edge_count / units).toFixed(2)} edges per unit)`);
}

// node_count / edge_count from the snapshot's header (first few KB of the file)
export function readHeader(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(64 * 1024);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const head = buf.toString('utf8', 0, n);
  const num = (k) => Number(head.match(new RegExp(`"${k}":(\\d+)`))?.[1]);
  return { node_count: num('node_count'), edge_count: num('edge_count') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
