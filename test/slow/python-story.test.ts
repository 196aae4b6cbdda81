// The story with allocation stacks (`heapdiff run --track-allocations`: tracemalloc in the
// worker): besides the list, its path and its growth, the report names `Segmenter.load` and
// the line that extends the list as where every new word was allocated.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { assertWordsListLeak, hasPython, PYTHON, runStory, story } from '../helpers/python-story.js';

/** The line of load() that extends the list, found in the fixture's source. */
function extendLine(): number {
  const lines = readFileSync(story('wordseg', '__init__.py'), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes('self.words.extend('));
  assert.ok(i >= 0);
  return i + 1;
}

describe('the story with allocation stacks', { skip: hasPython ? false : `${PYTHON} not found` }, () => {
  it('heapdiff run --step --track-allocations names load() as the allocation site', { timeout: 1_800_000 }, async (t) => {
    const report = await runStory(true);
    assert.equal(report.siteMode, 'stack');
    const top = assertWordsListLeak(report);
    t.diagnostic(top.verdict);
    const site = top.allocatedAt[0]!;
    assert.equal(site.count, top.holds.count, site.site);
    const frame = site.frames[0]!;
    assert.equal(frame.functionName, 'Segmenter.load');
    assert.equal(frame.script, story('wordseg', '__init__.py'));
    assert.equal(frame.line, extendLine());
  });
});
