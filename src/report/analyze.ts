// The text form of an analyze report.
import type { AnalyzeReport } from '../analyze.js';
import { formatBytes, formatCount, formatDistance, table } from './format.js';

export function renderAnalyze(report: AnalyzeReport): string {
  const s = report.summary;
  const st = s.statistics;
  const out: string[] = [];
  out.push(`${report.file}`);
  out.push(`${formatCount(s.nodeCount)} nodes, ${formatCount(s.edgeCount)} edges, ${formatCount(s.classCount)} classes; total ${formatBytes(s.totalSize)}`);
  out.push('');
  out.push('Statistics');
  out.push(table(
    [{ header: 'category' }, { header: 'size', align: 'right' }],
    [
      ['code', formatBytes(st.code)],
      ['strings', formatBytes(st.strings)],
      ['JS arrays', formatBytes(st.jsArrays)],
      ['typed arrays', formatBytes(st.typedArrays)],
      ['system objects', formatBytes(st.system)],
      ['other JS objects', formatBytes(st.v8heap - st.code - st.strings - st.jsArrays - st.system)],
      ['other non-JS objects', formatBytes(st.native - st.typedArrays)],
      ['total', formatBytes(st.total)],
    ],
  ));
  out.push('');
  out.push(`Top ${report.classes.length} classes by retained size`);
  out.push(table(
    [
      { header: 'class', max: 60 }, { header: 'count', align: 'right' }, { header: 'shallow', align: 'right' },
      { header: 'retained', align: 'right' }, { header: 'distance', align: 'right' },
    ],
    report.classes.map((c) => [c.name, formatCount(c.count), formatBytes(c.selfSize), formatBytes(c.retainedSize), formatDistance(c.distance)]),
  ));
  out.push('');
  out.push(`Top ${report.largest.length} objects by retained size`);
  out.push(table(
    [
      { header: 'object', max: 40 }, { header: 'id', align: 'right' }, { header: 'shallow', align: 'right' },
      { header: 'retained', align: 'right' }, { header: 'retainer path', max: 100 },
    ],
    report.largest.map((o) => [
      o.className === o.name ? o.name : `${o.className} ${o.name}`.trim(),
      `@${o.id}`, formatBytes(o.selfSize), formatBytes(o.retainedSize), o.path,
    ]),
  ));
  return out.join('\n');
}
