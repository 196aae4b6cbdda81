// Capturing snapshots from live processes (docs/capture.md): `run` and `attach` end to end,
// with real Node (and Python) programs from test/fixtures/capture/.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { captureSnapshots, CaptureError, parseDuration } from '../src/capture/index.js';
import { splitCommand } from '../src/capture/cli-support.js';
import { openSnapshot } from '../src/index.js';
import { fixturePath, freshDir, repoRoot } from './helpers/paths.js';

const leaky = fixturePath('capture', 'leaky.cjs');
const steady = fixturePath('capture', 'steady.cjs');
const pythonProgram = fixturePath('capture', 'leaky.py');
// Meant to take about a minute on an idle 2-core machine; a heavily loaded one can take
// tens of seconds per snapshot, hence the generous limits.
const TIMEOUT = { timeout: 300_000 };

/** The environment of the programs we start: independent of how the test runner was started. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  delete env['NODE_TEST_CONTEXT'];
  return env;
}

/** dist/src/cli.js once it registers run/attach; until then a stand-in with its error handling. */
function cliEntry(): string {
  return join(repoRoot(), 'dist', 'src', 'cli.js');
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function heapdiff(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliEntry(), ...args], { env: cleanEnv(), maxBuffer: 16 << 20, timeout: 290_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every entry of `dir` is a finished snapshot: no temporary or hidden files. */
function assertOnlySnapshots(dir: string): string[] {
  const names = readdirSync(dir);
  for (const name of names) assert.match(name, /^[^.].*\.heapsnapshot$/, `unexpected leftover in ${dir}: ${name}`);
  return names;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function classCount(file: string, name: string): Promise<number> {
  const snapshot = await openSnapshot(file);
  assert.ok(snapshot.summary().nodeCount > 1000, `${file} is a real snapshot`);
  // Python classes are named by module: __main__.LeakyEntry.
  return snapshot.classes().find((c) => c.name === name || c.name.endsWith(`.${name}`))?.count ?? 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const started: ChildProcess[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts a program of our own (not through heapdiff) and waits for its first line. */
async function startTarget(command: string, args: string[]): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(command, args, { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const lines: string[] = [];
  child.stderr!.resume();
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    rl.on('line', (line) => {
      lines.push(line);
      resolve();
    });
    child.once('error', reject);
    child.once('exit', () => reject(new Error(`${command} exited early`)));
  });
  return { child, lines };
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

function oneErrorLine(outcome: Outcome, pattern: RegExp): void {
  assert.equal(outcome.code, 2, `exit code 2; stderr: ${outcome.stderr}`);
  assert.equal(outcome.stdout, '');
  const lines = outcome.stderr.split('\n');
  assert.equal(lines.length, 2, `exactly one line on stderr: ${JSON.stringify(outcome.stderr)}`);
  assert.match(lines[0]!, pattern);
}

// The suites run side by side: most of the time goes to waiting for child processes.
describe('capture', { concurrency: 2 }, () => {
  describe('heapdiff run (Node)', () => {
    it('takes snapshots on a timer, streams them to complete files, and stops the program', TIMEOUT, async () => {
      const dir = freshDir('run-timer-');
      const result = await captureSnapshots({
        command: [process.execPath, leaky],
        snapshots: 2,
        intervalMs: 300,
        outDir: dir,
        env: cleanEnv(),
        programOutput: 'ignore',
      });
      assert.equal(result.runtime, 'node');
      assert.equal(result.files.length, 2);
      assert.deepEqual(assertOnlySnapshots(dir).sort(), result.files.map((f) => f.slice(dir.length + 1)).sort());
      for (const f of result.files) assert.match(f, /leaky-\d+-\d{8}-\d{6}-[12]\.heapsnapshot$/);
      assert.equal(readFileSync(result.files[0]!).at(-1), '}'.charCodeAt(0));
      // The cache only grows: the second snapshot holds more of it (on a loaded machine the
      // first may come before the program's first line runs).
      const [first, second] = [await classCount(result.files[0]!, 'LeakyEntry'), await classCount(result.files[1]!, 'LeakyEntry')];
      assert.ok(second > first, `LeakyEntry ${first} then ${second}`);
      assert.ok(result.exit, 'the program was stopped');
      assert.equal(alive(result.pid), false, 'the program is gone');
      assert.equal(statSync(result.files[0]!).mode & 0o077, 0, 'readable by its owner only');
    });

    it('step mode: one snapshot per console.log("heapdiff:snapshot"), taken while the program waits', TIMEOUT, async () => {
      const dir = freshDir('run-step-');
      const out = await heapdiff('run', '--step', '--out', dir, '--', process.execPath, leaky, '--step', '2');
      assert.equal(out.code, 0, out.stderr);
      const files = out.stdout.split('\n').filter((l) => l.endsWith('.heapsnapshot') && l.startsWith('  /')).map((l) => l.trim());
      assert.equal(files.length, 2, out.stdout);
      // Then the leak report over them.
      assert.match(out.stdout, /^#1 .*keeps growing/m);
      assert.equal(assertOnlySnapshots(dir).length, 2);
      // Exact counts: each snapshot is taken at the step, before the program goes on.
      assert.equal(await classCount(files[0]!, 'LeakyEntry'), 2000);
      assert.equal(await classCount(files[1]!, 'LeakyEntry'), 4000);
      // The program's output went to stderr, without Node's inspector messages.
      assert.match(out.stderr, /heapdiff:snapshot/);
      assert.doesNotMatch(out.stderr, /Debugger listening|Debugger attached|Waiting for the debugger/);
    });

    it('a program that exits before the first snapshot: one line, exit code 2, no file', TIMEOUT, async () => {
      const dir = freshDir('run-early-');
      // The first snapshot is due long after the program is gone, however slow the machine (the
      // wait ends as soon as the program does).
      const out = await heapdiff('run', '-n', '2', '-i', '60s', '-o', dir, '--', process.execPath, leaky, '--exit-after', '50');
      oneErrorLine(out, /^heapdiff: the program (finished|exited with code 0) before (snapshot 1 of 2|its inspector opened)$/);
      assert.deepEqual(readdirSync(dir), []);
    });

    it('a program killed mid-snapshot: EEXITED, and the partial file is removed', TIMEOUT, async () => {
      const dir = freshDir('run-killed-');
      let pid = 0;
      let killed = false;
      await assert.rejects(
        captureSnapshots({
          command: [process.execPath, leaky],
          snapshots: 1,
          intervalMs: 200,
          outDir: dir,
          env: cleanEnv(),
          programOutput: 'ignore',
          onStatus: (m) => {
            pid = Number(/\(PID (\d+)\)/.exec(m)?.[1] ?? pid);
          },
          onProgress: () => {
            if (killed) return;
            killed = true;
            // The temporary file exists while the snapshot streams in.
            assert.equal(readdirSync(dir).filter((n) => n.endsWith('.tmp')).length, 1);
            process.kill(pid, 'SIGKILL');
          },
        }),
        (err: unknown) => {
          assert.ok(err instanceof CaptureError, String(err));
          assert.equal(err.code, 'EEXITED', err.message);
          assert.match(err.message, /^the program (was killed by SIGKILL|exited) during snapshot 1 of 1; the partial file was removed$/);
          return true;
        },
      );
      assert.ok(killed, 'progress was reported');
      assert.deepEqual(readdirSync(dir), []);
    });

    it('a command that is neither node nor python, or missing: one line, exit code 2', TIMEOUT, async () => {
      const dir = freshDir('run-bad-');
      oneErrorLine(await heapdiff('run', '-o', dir, '--', 'sleep', '1'), /^heapdiff: 'sleep' is neither node nor python/);
      oneErrorLine(await heapdiff('run', '-o', dir, '--', '/nonexistent/node', 'x.js'), /^heapdiff: cannot start '\/nonexistent\/node': not found$/);
      const usage = await heapdiff('run', '--interval', 'soon', '--', 'node', 'x.js');
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /^heapdiff: --interval takes a duration like 10s/);
      assert.deepEqual(readdirSync(dir), []);
    });
  });

  describe('heapdiff attach', () => {
    it('opens the inspector of a running program with SIGUSR1, snapshots it, and leaves it running', TIMEOUT, async () => {
      const port = await freePort();
      const { child, lines } = await startTarget(process.execPath, [`--inspect-port=127.0.0.1:${port}`, steady, '--ticks']);
      const dir = freshDir('attach-');
      const out = await heapdiff('attach', String(child.pid), '--inspect', String(port), '-n', '1', '-i', '100ms', '-o', dir, '--json');
      assert.equal(out.code, 0, out.stderr);
      const report = JSON.parse(out.stdout) as { schema: string; files: string[] };
      assert.equal(report.schema, 'heapdiff.capture/1');
      const files = assertOnlySnapshots(dir);
      assert.deepEqual(report.files, files.map((f) => join(dir, f)));
      assert.match(files[0]!, new RegExp(`^pid-${child.pid}-`));
      // A program that does not leak: none of the leaky fixture's objects, and its ring buffer.
      assert.equal(await classCount(report.files[0]!, 'LeakyEntry'), 0);
      assert.ok((await classCount(report.files[0]!, 'Array')) > 0);
      assert.match(out.stderr, new RegExp(`^heapdiff: disconnected; PID ${child.pid} keeps running, and its inspector stays open at 127\\.0\\.0\\.1:${port} until it exits\\n$`));
      // Still alive, and still working after we are gone.
      const seen = lines.length;
      assert.ok(await waitFor(() => lines.length > seen + 2, 30_000), 'the program keeps ticking');
      assert.ok(alive(child.pid!));
      child.kill('SIGKILL');
    });

    it('a target that dies mid-snapshot: EEXITED, and the partial file is removed', TIMEOUT, async () => {
      const port = await freePort();
      const { child } = await startTarget(process.execPath, [`--inspect-port=127.0.0.1:${port}`, leaky, '--ready']);
      const dir = freshDir('attach-killed-');
      await assert.rejects(
        captureSnapshots({
          pid: child.pid!,
          inspect: String(port),
          snapshots: 2,
          intervalMs: 100,
          outDir: dir,
          onProgress: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          },
        }),
        (err: unknown) => {
          assert.ok(err instanceof CaptureError, String(err));
          assert.equal(err.code, 'EEXITED', err.message);
          assert.equal(err.message, `PID ${child.pid} exited during snapshot 1 of 2; the partial file was removed`);
          return true;
        },
      );
      assert.deepEqual(readdirSync(dir), []);
    });

    it('a missing PID, a non-Node PID and a taken port: one line each, exit code 2, nothing signalled', TIMEOUT, async () => {
      const dir = freshDir('attach-bad-');
      // A PID that just went away.
      const gone = spawn(process.execPath, ['-e', '0']);
      await new Promise((r) => gone.once('exit', r));
      oneErrorLine(await heapdiff('attach', String(gone.pid), '-o', dir), new RegExp(`^heapdiff: no process with PID ${gone.pid}$`));

      // sleep would die of SIGUSR1: heapdiff must not send it.
      const { child: sleeper } = await startTarget('sh', ['-c', 'echo up; exec sleep 60']);
      await waitFor(() => false, 200);
      oneErrorLine(await heapdiff('attach', String(sleeper.pid), '-o', dir), new RegExp(`^heapdiff: PID ${sleeper.pid} is not a Node process \\(sleep\\)$`));
      assert.ok(alive(sleeper.pid!), 'sleep is untouched');
      sleeper.kill('SIGKILL');

      // The target's inspector port is held by something else.
      const port = await freePort();
      const squatter: Server = createServer((socket) => {
        socket.on('error', () => {}); // the probe may reset the connection
        socket.end('hello\n');
      });
      await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
      try {
        const { child } = await startTarget(process.execPath, [`--inspect-port=127.0.0.1:${port}`, steady]);
        oneErrorLine(
          await heapdiff('attach', String(child.pid), '--inspect', `127.0.0.1:${port}`, '-o', dir),
          new RegExp(`^heapdiff: port 127\\.0\\.0\\.1:${port} is taken by something that is not a Node inspector`),
        );
        assert.ok(alive(child.pid!));
        child.kill('SIGKILL');
      } finally {
        squatter.close();
      }
      assert.deepEqual(readdirSync(dir), []);
    });
  });

  describe('heapdiff run (Python)', () => {
    const python = ['python3', 'python'].find((p) => spawnSync(p, ['-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)']).status === 0);
    const writer = join(repoRoot(), 'python', 'heapdiff.py');
    const skip = !python ? 'python3 is not installed' : !existsSync(writer) ? `heapdiff's Python writer (${writer}) is not there yet` : false;

    it('injects the writer and takes snapshots on SIGUSR2, without leftovers', { ...TIMEOUT, skip }, async () => {
      const dir = freshDir('run-python-');
      // Step mode: the program grows, then asks. (On a timer, a write longer than the interval
      // leaves the program no time to run between two snapshots, so both could see the same.)
      const result = await captureSnapshots({
        command: [python!, pythonProgram, '--step', '3'],
        connectTimeoutMs: 120_000, // python3 may be a pyenv shim, slow to start on a busy machine
        snapshots: 2,
        step: true,
        outDir: dir,
        env: cleanEnv(),
        programOutput: 'ignore',
      });
      assert.equal(result.runtime, 'python');
      assert.equal(result.files.length, 2);
      assert.equal(assertOnlySnapshots(dir).length, 2);
      const [first, second] = [await classCount(result.files[0]!, 'LeakyEntry'), await classCount(result.files[1]!, 'LeakyEntry')];
      assert.ok(second > first, `LeakyEntry ${first} then ${second}`);
      assert.equal(alive(result.pid), false, 'the program is gone');
    });
  });

});

describe('capture helpers', () => {
  it('parses durations and splits the program from heapdiff options', () => {
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1.5'), 1500);
    assert.equal(parseDuration('soon'), undefined);
    assert.deepEqual(splitCommand(['-n', '2', '--', 'node', 'a.js', '--x']), { own: ['-n', '2'], command: ['node', 'a.js', '--x'] });
    assert.deepEqual(splitCommand(['--interval', '1s', '--step', 'node', '-e', '1']), { own: ['--interval', '1s', '--step'], command: ['node', '-e', '1'] });
  });
});
