'use strict';
// A resident worker service: it pulls segmentation tasks from a queue and hands them to a
// small pool of async workers, each of which loads the word-segmentation library's dictionary
// and segments the task's text. Its memory grows with every task: the library's singleton
// appends its whole word list to itself on every load() (see lib/wordseg.cjs).
//
//   node examples/wordseg-service.cjs [--batches N]       handle N batches of tasks (default 10),
//                                                          printing the heap after each
//   node examples/wordseg-service.cjs --snapshots DIR N   after each of N batches, write
//                                                          DIR/000.heapsnapshot, DIR/001..., then exit
//
// A batch is BATCH_SIZE tasks; the leak adds BATCH_SIZE * 300 strings per batch.
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const wordseg = require('./lib/wordseg.cjs');

const BATCH_SIZE = 8;
const POOL_SIZE = 4;

class SegmentationTask {
  constructor(id, text) {
    this.id = id;
    this.text = text;
    this.enqueuedAt = Date.now();
  }
}

/** An in-process stand-in for a message queue: receive() waits until a task is available. */
class TaskQueue {
  constructor() {
    this.pending = [];
    this.receivers = [];
  }
  send(task) {
    const receiver = this.receivers.shift();
    if (receiver) receiver(task);
    else this.pending.push(task);
  }
  receive() {
    if (this.pending.length > 0) return Promise.resolve(this.pending.shift());
    return new Promise((resolve) => this.receivers.push(resolve));
  }
}

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

const SAMPLE_TEXTS = ['harborsolarlymetrowardkarmaful', 'pixelingquillerradarnessemberish', 'gammawisedeltaedorbitmentjollyly'];

/** The worker pool: POOL_SIZE async workers taking tasks from the queue. */
class WorkerPool {
  constructor(queue, size) {
    this.queue = queue;
    this.done = 0;
    this.idleWaiters = [];
    this.busy = 0;
    for (let i = 0; i < size; i++) this.run();
  }
  async run() {
    for (;;) {
      const task = await this.queue.receive();
      if (task === null) return;
      this.busy++;
      await this.handle(task);
      this.busy--;
      this.done++;
      if (this.busy === 0 && this.queue.pending.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }
  async handle(task) {
    await yieldToLoop(); // stands for fetching the document
    wordseg.load(); // "call load() before segment()"
    const words = wordseg.segment(task.text);
    await yieldToLoop(); // stands for storing the result
    return words.length;
  }
  idle() {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

function parseArgs(argv) {
  const usage = 'usage: node wordseg-service.cjs [--batches N] | --snapshots DIR N';
  if (argv[0] === '--snapshots') {
    const count = Number(argv[2]);
    if (!argv[1] || !Number.isInteger(count) || count < 1) throw new Error(usage);
    return { snapshotDir: argv[1], batches: count };
  }
  if (argv[0] === '--batches') {
    const batches = Number(argv[1]);
    if (!Number.isInteger(batches) || batches < 1) throw new Error(usage);
    return { snapshotDir: null, batches };
  }
  if (argv.length > 0) throw new Error(usage);
  return { snapshotDir: null, batches: 10 };
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  // (Printing before the first batch also sets up stdout before the first snapshot.)
  console.log(`wordseg-service: ${POOL_SIZE} workers, ${BATCH_SIZE} tasks per batch, ${options.batches} batches`);
  const queue = new TaskQueue();
  const pool = new WorkerPool(queue, POOL_SIZE);
  if (options.snapshotDir) fs.mkdirSync(options.snapshotDir, { recursive: true });
  let nextId = 0;
  for (let batch = 0; batch < options.batches; batch++) {
    const drained = pool.idle();
    for (let i = 0; i < BATCH_SIZE; i++) {
      const id = nextId++;
      queue.send(new SegmentationTask(id, SAMPLE_TEXTS[id % SAMPLE_TEXTS.length]));
    }
    await drained;
    if (options.snapshotDir) {
      const file = path.join(options.snapshotDir, String(batch).padStart(3, '0') + '.heapsnapshot');
      v8.writeHeapSnapshot(file);
      console.log(`batch ${batch}: ${pool.done} tasks done, wrote ${file}`);
    } else {
      const heapUsed = process.memoryUsage().heapUsed;
      console.log(`batch ${batch}: ${pool.done} tasks done, heap used ${(heapUsed / 1048576).toFixed(1)} MiB`);
    }
  }
  for (let i = 0; i < POOL_SIZE; i++) queue.send(null);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
