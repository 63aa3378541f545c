import type { VerifyReport } from '../verify/verify.js';
import { latencyLine, latencyMeaning } from './latency.js';
import type { Provenance } from '../verify/provenance.js';

/**
 * The HTML report: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) with
 * the verdict, the checks, the plots (latency percentile curves, throughput and watermark over time,
 * expected vs actual per window) and the offending rows.
 */
export function renderHtml(r: VerifyReport): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const s = r.series;
  const rows = r.checks
    .map((c) => {
      const diff = c.expected !== undefined && c.actual !== undefined ? c.actual - c.expected : undefined;
      const cls = c.skipped ? 'skip' : c.pass ? 'pass' : 'fail';
      return `<tr class="${cls}"><td>${esc(c.name)}</td><td>${cls.toUpperCase()}</td><td>${c.expected ?? ''}</td><td>${c.actual ?? ''}</td><td>${diff ?? ''}</td><td>${esc(c.detail)}</td></tr>`;
    })
    .join('\n');
  const offenders = r.checks
    .filter((c) => !c.pass && (c.examples?.length ?? 0) > 0)
    .map((c) => `<h3>${esc(c.name)}</h3><pre>${esc((c.examples ?? []).map((e) => JSON.stringify(e)).join('\n'))}</pre>`)
    .join('\n');
  const percentX = (p: number) => -Math.log10(Math.max(1e-6, 1 - p / 100));
  const plots = s
    ? [
        chart('Latency percentile curve (ms)', Object.entries(s.latency).map(([name, pts]) => ({ name, points: pts.map(([p, ms]) => [percentX(p), ms] as [number, number]) })), {
          xTicks: [0, 50, 90, 99, 99.9, 99.99, 99.999].map((p) => [percentX(p), `${p}%`] as [number, string]),
          id: 'latency',
          why: s.why?.latency,
        }),
        chart('Throughput (records sent per second)', [{ name: 'sent', points: s.throughput }], { id: 'throughput', xLabel: 's since the first send', why: s.why?.throughput }),
        chart('Watermark (event time, UTC) over replay time', [{ name: 'watermark', points: s.watermark }], { id: 'watermark', xLabel: 's since the first send', yFormat: timeTicks(s.watermark.map(([, w]) => w)), fromZero: false, why: s.why?.watermark }),
        chart('Expected vs actual count per window', [{ name: 'windows', points: s.windows, dots: true }], { id: 'windows', xLabel: 'expected', yLabel: 'actual', diagonal: true, why: s.why?.windows }),
      ].join('\n')
    : '<p>No series in this report.</p>';
  const lat = Object.entries(r.latency ?? {})
    .map(([n, l]) => `<li><b>${esc(n)}</b>: ${esc(latencyLine(l))}<br><small>${esc(latencyMeaning(n))}</small></li>`)
    .join('');
  const failed = r.checks.filter((c) => !c.pass && !c.skipped);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sat verify: ${esc(r.scenario)} ${r.pass ? 'PASS' : 'FAIL'}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
.verdict{font-size:28px;font-weight:700;padding:.4em .6em;border-radius:6px;display:inline-block}
.verdict.pass{background:#d8f5d0;color:#165b0b}.verdict.fail{background:#fbd5d5;color:#8a1010}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
tr.fail td{background:#fde8e8}tr.skip td{color:#888}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto}
svg{background:#fff;border:1px solid #ddd;margin:.5em 0}
.plots{display:grid;grid-template-columns:1fr 1fr;gap:1em}
</style></head><body>
<div class="verdict ${r.pass ? 'pass' : 'fail'}" id="verdict">${r.pass ? 'PASS' : 'FAIL'}</div>
<p>scenario <b>${esc(r.scenario)}</b>, results <code>${esc(r.actual)}</code>, watermark model <b>${esc(r.watermark)}</b>${r.verifiedAt ? `, verified ${esc(r.verifiedAt)}` : ''}.
${r.pass ? `All ${r.checks.filter((c) => !c.skipped).length} checks passed.` : `${failed.length} checks failed: ${esc(failed.map((c) => c.name).join('; '))}.`}</p>
${r.provenance ? provenanceTable(r.provenance, esc) : ''}
${r.evidence ? `<h2>Evidence</h2><table id="evidence">${Object.entries(r.evidence).map(([k, v]) => `<tr><td>${esc(k.replace(/_/g, ' '))}</td><td>${v ?? 'n/a'}</td></tr>`).join('')}</table>` : ''}
<h2>Checks</h2>
<table id="checks"><tr><th>check</th><th>result</th><th>expected</th><th>actual</th><th>diff</th><th>detail</th></tr>
${rows}
</table>
<h2>Plots</h2><div class="plots">${plots}</div>
${lat ? `<h2>Latency</h2><ul>${lat}</ul>` : ''}
${offenders ? `<h2>Offending rows</h2>${offenders}` : ''}
<h2>Counts</h2><pre>${esc(Object.entries(r.counts).map(([k, v]) => `${k} = ${v}`).join('\n'))}</pre>
</body></html>
`;
}

interface Series {
  name: string;
  points: [number, number][];
  dots?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

/** A small SVG line or scatter chart with axes; an empty series gets a "no data" note. */
function chart(title: string, series: Series[], o: { id: string; xLabel?: string; yLabel?: string; xTicks?: [number, string][]; yFormat?: (v: number) => string; diagonal?: boolean; fromZero?: boolean; why?: string }): string {
  const W = 520;
  const H = 280;
  const m = { l: 60, r: 10, t: 28, b: 40 };
  const all = series.flatMap((x) => x.points);
  const head = `<svg id="plot-${o.id}" class="plot" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg"><text x="${W / 2}" y="18" text-anchor="middle" font-weight="600">${title}</text>`;
  // Nothing to draw (or one point, which draws no line): say why in the plot's place.
  if (all.length === 0 || (o.why !== undefined && all.length < 2 && !series.some((x) => x.dots))) {
    return `${head}<foreignObject x="20" y="${H / 2 - 30}" width="${W - 40}" height="80"><p xmlns="http://www.w3.org/1999/xhtml" class="why" style="margin:0;text-align:center;color:#666">${(o.why ?? 'no data').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p></foreignObject></svg>`;
  }
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(o.fromZero === false ? Infinity : 0, ...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (o.diagonal) [x0, x1, y0, y1] = [Math.min(x0, y0), Math.max(x1, y1), Math.min(x0, y0), Math.max(x1, y1)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const fmt = (v: number) => (Math.abs(v) >= 1e5 ? v.toExponential(1) : Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2));
  const parts = [head];
  parts.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#444"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#444"/>`);
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<text x="${m.l - 4}" y="${Y(yv) + 4}" text-anchor="end" font-size="10">${(o.yFormat ?? fmt)(yv)}</text>`);
  }
  const xt = o.xTicks ?? [0, 1, 2, 3, 4].map((i) => [x0 + ((x1 - x0) * i) / 4, fmt(x0 + ((x1 - x0) * i) / 4)] as [number, string]);
  for (const [xv, label] of xt) if (xv >= x0 && xv <= x1) parts.push(`<text x="${X(xv)}" y="${H - m.b + 14}" text-anchor="middle" font-size="10">${label}</text>`);
  if (o.xLabel) parts.push(`<text x="${(W + m.l) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${o.xLabel}</text>`);
  if (o.yLabel) parts.push(`<text x="12" y="${(H + m.t) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${(H + m.t) / 2})">${o.yLabel}</text>`);
  if (o.diagonal) parts.push(`<line x1="${X(x0)}" y1="${Y(y0)}" x2="${X(x1)}" y2="${Y(y1)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  series.forEach((sr, i) => {
    const color = COLORS[i % COLORS.length];
    if (sr.dots) for (const [x, y] of sr.points) parts.push(`<circle class="point" cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.5" fill="${color}" fill-opacity="0.6"/>`);
    else parts.push(`<polyline class="line" fill="none" stroke="${color}" stroke-width="1.8" points="${sr.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    if (series.length > 1) parts.push(`<text x="${W - m.r - 4}" y="${m.t + 12 + 13 * i}" text-anchor="end" font-size="10" fill="${color}">${sr.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Tick labels for epoch-ms values: the date when they span days, the time of day (and seconds) when not. */
function timeTicks(values: number[]): (v: number) => string {
  const span = values.length ? Math.max(...values) - Math.min(...values) : 0;
  return (v) => {
    const iso = new Date(v).toISOString();
    return span >= 4 * 86_400_000 ? iso.slice(0, 10) : span >= 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : span >= 240_000 ? iso.slice(11, 16) : iso.slice(11, 19);
  };
}

/** What was tested: the version, the commands, the input (size, hash), seed, faults, pace, engine, model. */
function provenanceTable(p: Provenance, esc: (s: string) => string): string {
  const r = p.replay;
  const size = r.bytes === undefined ? '' : `, ${r.bytes.toLocaleString('en-US')} bytes${r.files && r.files > 1 ? ` in ${r.files} files` : ''}`;
  const rows: [string, string | undefined][] = [
    ['sat', p.sat],
    ['input', `${r.file} (${r.format}${size})`],
    ['input SHA-256', r.sha256 ?? (r.files && r.files > 1 ? 'not hashed (a folder of files)' : undefined)],
    ['scenario', r.scenario],
    ['seed', String(r.seed)],
    ['faults', r.faults],
    ['pace', r.pace],
    ['transport', r.transport],
    ['engine judged', p.engine],
    ['watermark model', p.watermarkModel],
    ['replay command', r.command],
    ['run command', p.run],
    ['verify command', p.verify],
  ];
  return `<h2>What was tested</h2><table id="provenance">${rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${k.endsWith('command') || k === 'input SHA-256' ? `<code>${esc(v!)}</code>` : esc(v!)}</td></tr>`)
    .join('')}</table>`;
}
