// A progress bar on stderr, drawn only when stderr is a terminal.
import type { LoadProgress } from './types.js';
import { formatBytes } from './report/format.js';

const WIDTH = 30;

export interface ProgressBar {
  update(p: LoadProgress): void;
  done(): void;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update() {}, done() {} };
  let drawn = false;
  return {
    update(p) {
      const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(fraction * WIDTH);
      const detail = p.phase === 'parse' ? `${formatBytes(p.done)} / ${formatBytes(p.total)}` : p.phase;
      stream.write(`\r${label} [${'█'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${Math.round(fraction * 100)}% ${p.phase === 'parse' ? 'parsing ' : ''}${detail}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
