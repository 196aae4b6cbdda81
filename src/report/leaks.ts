// The text form of a leak report.
import type { LeakReport } from '../leaks.js';
import { formatBytes, formatCount, table } from './format.js';

export function renderLeaks(report: LeakReport): string {
  const out: string[] = [];
  const n = report.snapshots.length;
  out.push(`${n} snapshots, ${n - 1} interval${n === 2 ? '' : 's'}: ${report.snapshots.map((s) => s.file).join(' → ')}`);
  if (report.suspects.length === 0) {
    out.push(`No leak suspects: no long-lived object gained at least ${formatCount(report.thresholds.minObjects)} objects and ` +
      `${formatBytes(report.thresholds.minBytes)} retained, growing in every interval.`);
    return out.join('\n');
  }
  if (n === 2) out.push('With two snapshots growth cannot be seen to repeat; a third makes the verdict much stronger.');
  const where = report.siteMode === 'stack'
    ? 'allocation stacks'
    : 'constructor locations (no allocation stacks: take the snapshots with node --track-heap-objects, or heapdiff run --track-allocations)';
  report.suspects.forEach((s, i) => {
    const c = s.container;
    out.push('');
    out.push(`#${i + 1} ${s.verdict}`);
    out.push(`   container  ${c.className}${c.name && c.name !== c.className ? ` ${c.name}` : ''} @${c.id}, retains ${formatBytes(c.retainedSize)}`);
    out.push(`   path       ${c.path}`);
    if (c.shortPath !== c.path) out.push(`   reads as   ${c.shortPath}`);
    out.push('   growth     ' + s.growth.map((g, k) => `${k + 1}→${k + 2}: +${formatCount(g.objects)} objects, ${g.retainedBytes >= 0 ? '+' : ''}${formatBytes(g.retainedBytes)}`).join('; '));
    out.push(table(
      [{ header: '   what accumulates', max: 60 }, { header: 'count', align: 'right' }, { header: 'shallow', align: 'right' }],
      s.accumulates.map((a) => [`   ${a.name}`, formatCount(a.count), formatBytes(a.selfSize)]),
    ));
    out.push(table(
      [{ header: `   allocated at (${report.siteMode === 'stack' ? 'stack' : 'constructor'})`, max: 100 }, { header: 'count', align: 'right' }, { header: 'shallow', align: 'right' }],
      s.allocatedAt.map((a) => [`   ${a.site}`, formatCount(a.count), formatBytes(a.selfSize)]),
    ));
  });
  out.push('');
  out.push(`Sites from ${where}.`);
  return out.join('\n');
}
