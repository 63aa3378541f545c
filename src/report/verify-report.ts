import type { VerifyReport } from '../verify/verify.js';
import type { Evidence } from '../verify/evidence.js';
import { latencyLine, latencyMeaning } from './latency.js';

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
const num = (x: number | undefined) => (x === undefined ? '' : Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(3));

/**
 * The terminal report: the verdict first, then a table of checks (expected, actual, difference),
 * then the worst offending rows (a screenful at most), then latency percentiles.
 */
export function renderTerminal(r: VerifyReport): string {
  const run = r.checks.filter((c) => !c.skipped);
  const failed = run.filter((c) => !c.pass);
  const lines: string[] = [];
  lines.push(
    r.pass
      ? `PASS  ${r.scenario}: all ${run.length} checks passed${r.checks.length > run.length ? ` (${r.checks.length - run.length} skipped)` : ''}`
      : `FAIL  ${r.scenario}: ${failed.length} of ${run.length} checks failed: ${failed.map((c) => c.name).join('; ')}`,
  );
  lines.push(`      results ${r.actual}, watermark model ${r.watermark}`);
  if (r.evidence) lines.push(`      evidence: ${evidenceLine(r.evidence)}`);
  const p = r.provenance;
  if (p) {
    const size = p.replay.bytes === undefined ? '' : `, ${p.replay.bytes.toLocaleString('en-US')} bytes${p.replay.sha256 ? `, sha256 ${p.replay.sha256.slice(0, 12)}` : ''}`;
    lines.push(`      tested: ${p.replay.file} (${p.replay.format}${size}); seed ${p.replay.seed}; faults ${p.replay.faults}; pace ${p.replay.pace}; ${p.replay.transport}; engine ${p.engine}; sat ${p.sat}`);
  }
  lines.push('');
  lines.push(`${pad('check', 48)} ${pad('result', 6)} ${'expected'.padStart(10)} ${'actual'.padStart(10)} ${'diff'.padStart(8)}`);
  for (const c of r.checks) {
    const diff = c.expected !== undefined && c.actual !== undefined ? c.actual - c.expected : undefined;
    lines.push(`${pad(c.name, 48)} ${pad(c.skipped ? 'skip' : c.pass ? 'pass' : 'FAIL', 6)} ${num(c.expected).padStart(10)} ${num(c.actual).padStart(10)} ${(diff === undefined ? '' : diff > 0 ? `+${num(diff)}` : num(diff)).padStart(8)}`);
  }
  const worst = failed.flatMap((c) => (c.examples ?? []).map((e) => `  ${pad(c.name, 32)} ${JSON.stringify(e)}`));
  if (worst.length > 0) {
    lines.push('', 'worst offenders:');
    lines.push(...worst.slice(0, 20));
  }
  for (const c of failed) lines.push(`  ${c.name}: ${c.detail}`);
  for (const n of r.notes ?? []) lines.push('', `note: ${n}`);
  if (r.diagnosis && r.diagnosis.length > 0) {
    lines.push('', 'likely cause:');
    for (const d of r.diagnosis) {
      lines.push(`  ${d.cause}: ${d.detail}`);
      if (d.positions?.length) lines.push(`    (partition, offset): ${d.positions.map((p) => `(${p.partition}, ${p.offset})`).join(' ')}`);
    }
  }
  const lat = Object.entries(r.latency ?? {});
  if (lat.length > 0) {
    lines.push('', 'latency:');
    for (const [name, s] of lat) lines.push(`  ${pad(name, 34)} ${latencyLine(s)}`, `  ${' '.repeat(34)} (${latencyMeaning(name)})`);
  }
  return lines.join('\n');
}

/** The evidence in one line: what the verdict rests on. */
export function evidenceLine(e: Evidence): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    `${n(e.records_counted)} records counted of ${n(e.records_sent)} sent`,
    `${n(e.windows_exact)} windows checked exactly${e.windows_ambiguous ? `, ${n(e.windows_ambiguous)} within bounds` : ''}`,
    `${n(e.late_judged)} of ${n(e.late_sent)} late records judged decisively`,
    e.duplicates_judged === null ? 'duplicates not judged' : `${n(e.duplicates_judged)} duplicates`,
    `${n(e.dead_letters)} dead letters`,
    `boundaries: ${n(e.late_at_close)} late exactly at a close, ${n(e.on_time_one_step_before_close)} on time one step before, ${n(e.at_window_edge)} at a window edge, ${n(e.dedup_at_expiry)} kept at a dedup expiry, ${n(e.dedup_one_step_before_expiry)} suppressed one step before`,
  ].join('; ');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: one test case per check, so CI systems show a failed check as a failed test. */
export function renderJunit(r: VerifyReport): string {
  const failures = r.checks.filter((c) => !c.pass && !c.skipped).length;
  const skipped = r.checks.filter((c) => c.skipped).length;
  const cases = r.checks.map((c) => {
    const head = `    <testcase classname="sat.verify.${xml(r.scenario)}" name="${xml(c.name)}" time="0">`;
    if (c.skipped) return `${head}<skipped message="${xml(c.detail)}"/></testcase>`;
    if (c.pass) return `${head}<system-out>${xml(c.detail)}</system-out></testcase>`;
    const body = [c.detail, ...(c.examples ?? []).map((e) => JSON.stringify(e))].join('\n');
    return `${head}\n      <failure message="${xml(c.detail)}" type="VerificationFailed">${xml(body)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="sat verify" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="sat verify ${xml(r.scenario)}" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}" timestamp="${r.verifiedAt ?? ''}">`,
    ...(r.evidence ? ['    <properties>', ...Object.entries(r.evidence).map(([k, v]) => `      <property name="evidence.${xml(k)}" value="${v ?? ''}"/>`), '    </properties>'] : []),
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
