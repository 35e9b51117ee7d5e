import type { HealthGrade, HealthInstanceRow } from '../../core/kinds/health.js';

const GRADE_RANK: Record<HealthGrade, number> = { critical: 2, warn: 1, ok: 0 };

/** Worst first: grade, then how many critical and warning checks, then tier and name (stable, readable). */
export function sortRows(rows: HealthInstanceRow[]): HealthInstanceRow[] {
  const count = (r: HealthInstanceRow, g: string): number => r.checks.filter((c) => c.grade === g).length;
  return [...rows].sort(
    (a, b) =>
      GRADE_RANK[b.grade] - GRADE_RANK[a.grade] ||
      count(b, 'critical') - count(a, 'critical') ||
      count(b, 'warn') - count(a, 'warn') ||
      a.tier.localeCompare(b.tier) ||
      a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
}

export function countGrades(rows: HealthInstanceRow[]): Record<HealthGrade, number> {
  const counts: Record<HealthGrade, number> = { ok: 0, warn: 0, critical: 0 };
  for (const r of rows) counts[r.grade]++;
  return counts;
}

/** `app-3 disk 97% on /var` (+ how many other sick checks). */
export function instanceHeadline(row: HealthInstanceRow): string {
  const sick = row.checks.filter((c) => c.grade === row.grade);
  const first = sick[0];
  if (!first) return row.name;
  return `${row.name} ${first.headline}${sick.length > 1 ? ` (+${sick.length - 1})` : ''}`;
}

/** "2 critical: app-3 disk 97% on /var, app-1 JVM down; 1 warning: web-1 load 4.1 on 2 cores". */
export function healthSummary(rows: HealthInstanceRow[], maxNames = 5): string {
  const sorted = sortRows(rows);
  if (rows.length === 0) return 'No instances answered.';
  const parts: string[] = [];
  for (const g of ['critical', 'warn'] as const) {
    const sick = sorted.filter((r) => r.grade === g);
    if (sick.length === 0) continue;
    const names = sick.slice(0, maxNames).map(instanceHeadline);
    const more = sick.length > maxNames ? `, and ${sick.length - maxNames} more` : '';
    parts.push(`${sick.length} ${g === 'critical' ? 'critical' : sick.length === 1 ? 'warning' : 'warnings'}: ${names.join(', ')}${more}`);
  }
  const ok = rows.filter((r) => r.grade === 'ok').length;
  if (parts.length === 0) return `All ${rows.length} instance${rows.length === 1 ? '' : 's'} healthy.`;
  return `${parts.join('; ')}${ok ? `; ${ok} healthy` : ''}.`;
}

/** The full table (one line per instance and check) for the attachment. */
export function healthCsv(rows: HealthInstanceRow[]): string {
  const lines = [['tier', 'instance', 'name', 'status', 'instance_grade', 'check', 'mount', 'grade', 'value', 'detail'].join(',')];
  for (const r of sortRows(rows)) {
    for (const c of r.checks) {
      lines.push([r.tier, r.instanceId, r.name, r.status, r.grade, c.id, c.mount ?? '', c.grade, c.value, c.detail ?? (c.id === 'reachable' ? (r.detail ?? '') : '')].map(csvCell).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

function csvCell(v: string): string {
  // Quote everything that needs it; a leading = + - @ is neutralised so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) || safe !== v ? `"${safe.replace(/"/g, '""')}"` : safe;
}
