'use strict';
// A small word-segmentation library, the kind a service pulls in from npm.
//
// It keeps one Segmenter per process (a module-level singleton) so that the
// dictionary is shared by every caller. Its README says "call load() before
// segment()", so callers do - on every task. The bug: load() was meant to run
// once, but it appends the whole word list to `this.words` on every call.
// Each call adds WORD_COUNT new strings that stay reachable for the life of
// the process, and segment() gets slower as the list grows.

const ROOTS = [
  'alpha', 'bravo', 'cargo', 'delta', 'ember', 'fable', 'gamma', 'harbor', 'ivory', 'jolly',
  'karma', 'lunar', 'metro', 'noble', 'orbit', 'pixel', 'quill', 'radar', 'solar', 'tango',
];
const SUFFIXES = ['s', 'ed', 'er', 'ing', 'ly', 'ness', 'ful', 'ish', 'less', 'ment', 'ward', 'wise', 'dom', 'ite', 'ery'];
/** Words in the dictionary (each load() creates them anew, as reading a file would). */
const WORD_COUNT = ROOTS.length * SUFFIXES.length;

class Segmenter {
  constructor() {
    this.words = [];
    this.longest = 0;
  }

  /** Loads the dictionary. BUG: appends to the list instead of replacing it. */
  load() {
    for (let i = 0; i < WORD_COUNT; i++) {
      const word = ROOTS[i % ROOTS.length] + SUFFIXES[(i / ROOTS.length) | 0];
      this.words.push(word);
      if (word.length > this.longest) this.longest = word.length;
    }
    return this;
  }

  /** Splits a text written without spaces into dictionary words (greedy longest match). */
  segment(text) {
    const dictionary = new Set(this.words);
    const out = [];
    let i = 0;
    while (i < text.length) {
      let len = Math.min(this.longest, text.length - i);
      while (len > 1 && !dictionary.has(text.slice(i, i + len))) len--;
      out.push(text.slice(i, i + len));
      i += len;
    }
    return out;
  }
}

const segmenter = new Segmenter();

module.exports = {
  WORD_COUNT,
  /** Loads the dictionary into the shared segmenter. */
  load() {
    segmenter.load();
  },
  /** Segments `text` with the shared segmenter. */
  segment(text) {
    return segmenter.segment(text);
  },
};
