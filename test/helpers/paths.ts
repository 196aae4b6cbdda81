// Locating the repository (for runtime fixture files that tsc does not copy
// into dist/) and a per-process scratch folder for snapshots the tests write.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRepoRoot: string | undefined;

/**
 * The repository root: the nearest folder above this file that holds a
 * package.json and test/fixtures/. Works both from test/helpers/*.ts (tsx)
 * and from the compiled dist/test/helpers/*.js. HEAPDIFF_REPO_ROOT overrides.
 */
export function repoRoot(): string {
  if (cachedRepoRoot !== undefined) return cachedRepoRoot;
  const override = process.env['HEAPDIFF_REPO_ROOT'];
  if (override) return (cachedRepoRoot = resolve(override));
  let dir = dirname(fileURLToPath(import.meta.url));
  let firstWithPackageJson: string | undefined;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      firstWithPackageJson ??= dir;
      if (existsSync(join(dir, 'test', 'fixtures'))) return (cachedRepoRoot = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (firstWithPackageJson !== undefined) return (cachedRepoRoot = firstWithPackageJson);
  throw new Error(`repoRoot: no package.json above ${fileURLToPath(import.meta.url)}`);
}

/** Absolute path of a file under test/fixtures/ in the source tree. */
export function fixturePath(...parts: string[]): string {
  return join(repoRoot(), 'test', 'fixtures', ...parts);
}

let scratch: string | undefined;

/**
 * One scratch folder per process under os.tmpdir(), removed when the process
 * exits (set HEAPDIFF_KEEP_TMP=1 to keep it for inspection; its path is then
 * printed to stderr).
 */
export function scratchDir(): string {
  if (scratch !== undefined) return scratch;
  const dir = mkdtempSync(join(tmpdir(), 'heapdiff-test-'));
  scratch = dir;
  process.on('exit', () => {
    if (process.env['HEAPDIFF_KEEP_TMP']) {
      process.stderr.write(`heapdiff tests: kept scratch folder ${dir}\n`);
      return;
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  });
  return dir;
}

/** A fresh, empty folder inside scratchDir(). */
export function freshDir(prefix = 'dir-'): string {
  return mkdtempSync(join(scratchDir(), prefix));
}
