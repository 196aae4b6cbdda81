// The story, end to end on a real Python process (test/helpers/python-story.ts), without
// allocation stacks: the leak report finds the list, its path and its growth. The same run with
// `--track-allocations`, which also names load() as the allocating function, is in
// test/slow/python-story.test.ts (tracemalloc makes it several times slower).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertWordsListLeak, hasPython, PYTHON, runStory } from './helpers/python-story.js';

describe('the story: a Python worker whose singleton reloads its word file on every task', { skip: hasPython ? false : `${PYTHON} not found` }, () => {
  it('heapdiff run --step names the words list, its path from the module and its growth', { timeout: 900_000 }, async (t) => {
    const report = await runStory(false);
    const top = assertWordsListLeak(report);
    t.diagnostic(top.verdict);
    assert.equal(report.siteMode, 'location');
  });
});
