// The text form of a diff report.
import type { ClassDiff, DiffReport } from '../diff.js';
import type { GateResult } from '../gate.js';
import { formatBytes, formatCount, table } from './format.js';

const signed = (n: number, show: (n: number) => string) => (n > 0 ? `+${show(n)}` : n < 0 ? `−${show(-n)}` : '0');
const signedBytes = (n: number) => signed(n, formatBytes);
const signedCount = (n: number) => signed(n, formatCount);

function classTable(rows: ClassDiff[], sameProcess: boolean): string {
  if (sameProcess) {
    return table(
      [
        { header: 'class', max: 50 }, { header: '# new', align: 'right' }, { header: '# deleted', align: 'right' },
        { header: '# delta', align: 'right' }, { header: 'alloc. size', align: 'right' }, { header: 'freed size', align: 'right' },
        { header: 'size delta', align: 'right' }, { header: 'retained base → current', align: 'right' }, { header: 'retained delta', align: 'right' },
      ],
      rows.map((c) => [
        c.name, formatCount(c.newCount!), formatCount(c.deletedCount!), signedCount(c.countDelta), formatBytes(c.allocSize!),
        formatBytes(c.freedSize!), signedBytes(c.sizeDelta), `${formatBytes(c.base.retainedSize)} → ${formatBytes(c.current.retainedSize)}`,
        signedBytes(c.retainedDelta),
      ]),
    );
  }
  return table(
    [
      { header: 'class', max: 50 }, { header: 'count base → current', align: 'right' }, { header: 'count delta', align: 'right' },
      { header: 'shallow delta', align: 'right' }, { header: 'retained base → current', align: 'right' }, { header: 'retained delta', align: 'right' },
    ],
    rows.map((c) => [
      c.name, `${formatCount(c.base.count)} → ${formatCount(c.current.count)}`, signedCount(c.countDelta), signedBytes(c.sizeDelta),
      `${formatBytes(c.base.retainedSize)} → ${formatBytes(c.current.retainedSize)}`, signedBytes(c.retainedDelta),
    ]),
  );
}

export interface RenderDiffOptions {
  by: 'class' | 'site';
  top: number;
  sortLabel: string;
  gates: GateResult[];
}

export function renderDiff(report: DiffReport, options: RenderDiffOptions): string {
  const out: string[] = [];
  const same = report.mode === 'same-process';
  const t = report.totalSize;
  out.push(`${report.base.file} → ${report.current.file}`);
  out.push(`heap ${formatBytes(t.base)} → ${formatBytes(t.current)} (${signedBytes(t.delta)}); ` +
    `${formatCount(report.base.summary.nodeCount)} → ${formatCount(report.current.summary.nodeCount)} objects`);
  if (!same) {
    out.push(`These snapshots come from different processes (${formatCount(report.identity.conflicts)} of ${formatCount(report.identity.checked)} ` +
      'shared ids name different objects), so objects cannot be matched by id: comparing class histograms instead.');
  }
  out.push('');
  if (options.by === 'site' && report.sites) {
    const s = report.sites;
    const how = s.mode === 'stack'
      ? `allocation stacks, ${s.stackDepth === 1 ? 'allocating function' : `${s.stackDepth} innermost frames`}`
      : 'constructor locations: the snapshots carry no allocation stacks (take them with node --track-heap-objects for stacks)';
    const rows = s.rows.slice(0, options.top);
    out.push(`New objects by allocation site (${how}); top ${rows.length} of ${formatCount(s.rows.length)} by retained size`);
    out.push(table(
      [
        { header: 'site', max: 90 }, { header: '# new', align: 'right' }, { header: 'shallow', align: 'right' },
        { header: 'retained', align: 'right' }, { header: 'classes', max: 60 },
      ],
      rows.map((r) => [r.site, formatCount(r.count), formatBytes(r.selfSize), formatBytes(r.retainedSize),
        r.classes.map((c) => `${c.name} ×${formatCount(c.count)}`).join(', ')]),
    ));
  } else {
    if (options.by === 'site') out.push('Allocation sites need snapshots of one process; showing classes.\n');
    const rows = report.classes.slice(0, options.top);
    out.push(`${same ? 'By constructor' : 'Class histograms'}: top ${rows.length} of ${formatCount(report.classes.length)} changed classes, by ${options.sortLabel}`);
    out.push(classTable(rows, same));
  }
  if (report.newObjects) {
    out.push('');
    const objects = report.newObjects.objects;
    if (!same) out.push(`New ${report.newObjects.className} objects cannot be told apart across processes.`);
    else if (objects.length === 0) out.push(`No new ${report.newObjects.className} objects.`);
    else {
      out.push(`Largest new ${report.newObjects.className} objects`);
      out.push(table(
        [
          { header: 'object', max: 40 }, { header: 'id', align: 'right' }, { header: 'shallow', align: 'right' },
          { header: 'retained', align: 'right' }, { header: 'retainer path', max: 100 },
        ],
        objects.map((o) => [o.name, `@${o.id}`, formatBytes(o.selfSize), formatBytes(o.retainedSize), o.path]),
      ));
    }
  }
  if (options.gates.length > 0) {
    out.push('');
    for (const g of options.gates) out.push(`${g.passed ? 'pass' : 'FAIL'}: ${g.message}`);
  }
  return out.join('\n');
}
