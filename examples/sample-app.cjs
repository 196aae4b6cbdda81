// A small "service" for `heapdiff demo`: a session store that keeps every session it ever
// created, each holding a request log. It handles some requests, then writes a heap snapshot
// of itself to the path given as its first argument.
'use strict';
const v8 = require('node:v8');

class Session {
  constructor(id) {
    this.id = id;
    this.createdAt = Date.now();
    this.requests = [];
  }
}

class SessionStore {
  constructor() {
    this.sessions = new Map();
  }
  open(id) {
    const session = new Session(id);
    this.sessions.set(id, session);
    return session;
  }
}

const app = { store: new SessionStore(), handled: 0 };
globalThis.app = app;

function handle(i) {
  const session = app.store.open(`session-${i}`);
  for (let r = 0; r < 10; r++) session.requests.push({ path: `/items/${r}`, body: 'x'.repeat(64) + i });
  app.handled++;
}

for (let i = 0; i < 1000; i++) handle(i);

const out = process.argv[2];
if (!out) {
  console.error('usage: node sample-app.cjs OUT.heapsnapshot');
  process.exit(2);
}
v8.writeHeapSnapshot(out);
