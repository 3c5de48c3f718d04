// The TCP tables of RESULTS.md: every subject's figures, then the issue's targets as ratios of
// the seed topology to the references, each marked met or missed.
import type { SubjectKey } from './tcp-subjects.js';
import type { TcpRow } from './tcp-measure.js';

const f = (n: number | undefined, digits = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function tcpTable(rows: readonly TcpRow[], skipped: readonly string[]): string {
  const header =
    '| topology (client -> listener -> 2nd hop -> upstream) | bulk Gbit/s c=1 | bulk Gbit/s c=8 | echo rps c=1 | p50/p99 µs c=1 | echo rps c=50 | p50/p99 µs c=50 | proxy CPU µs/req c=50 | conn/s c=50 | peak RSS MiB |\n' +
    '|---|---|---|---|---|---|---|---|---|---|\n';
  const lines = rows.map(
    (r) =>
      `| ${r.subject.name} | ${f(r.bulk1Gbps, 2)} | ${f(r.bulk8Gbps, 2)} | ${f(r.echo1.rps)} | ${f(r.echo1.p50us)} / ${f(r.echo1.p99us)} | ${f(r.echo50.rps)} | ${f(r.echo50.p50us)} / ${f(r.echo50.p99us)} | ${f(r.cpuPerReqUs, 1)} | ${f(r.connPerSec)} | ${f(r.peakRssMiB, 1)} |`,
  );
  return `${header}${lines.join('\n')}\n${skipped.map((s) => `\nNot measured: ${s}.`).join('')}\n`;
}

interface Target {
  readonly what: string;
  /** What is measured against the reference; default the seed topology with one worker. */
  readonly subject?: SubjectKey;
  readonly of: SubjectKey;
  readonly metric: (row: TcpRow) => number;
  /** `min`: the seed topology's figure over the reference's must be at least `goal`; `max`: at most. */
  readonly kind: 'min' | 'max';
  readonly goal: number;
}

const TARGETS: readonly Target[] = [
  { what: 'bulk c=1 vs minimal Node, in-process 2nd hop', of: 'node-2hop', metric: (r) => r.bulk1Gbps, kind: 'min', goal: 0.9 },
  { what: 'bulk c=1 vs HAProxy over abns@', of: 'haproxy', metric: (r) => r.bulk1Gbps, kind: 'min', goal: 1.1 },
  { what: 'CPU/request c=50 vs minimal Node, in-process 2nd hop', of: 'node-2hop', metric: (r) => r.cpuPerReqUs, kind: 'max', goal: 1.15 },
  { what: 'CPU/request c=50 vs HAProxy over abns@', of: 'haproxy', metric: (r) => r.cpuPerReqUs, kind: 'max', goal: 1.0 },
  { what: 'p99 c=50 vs HAProxy over abns@', of: 'haproxy', metric: (r) => r.echo50.p99us, kind: 'max', goal: 1.0 },
  { what: 'new connections/s c=50 vs minimal Node, 1 hop', of: 'node-1hop', metric: (r) => r.connPerSec, kind: 'min', goal: 0.8 },
  { what: 'bulk c=8 with --concurrency 2 vs 1', subject: 'nodevoy-2-workers', of: 'nodevoy', metric: (r) => r.bulk8Gbps, kind: 'min', goal: 1.3 },
  { what: 'bulk c=1 vs Envoy 1.40 (aim)', of: 'envoy', metric: (r) => r.bulk1Gbps, kind: 'min', goal: 0.6 },
  { what: 'CPU/request c=50 vs Envoy 1.40 (aim)', of: 'envoy', metric: (r) => r.cpuPerReqUs, kind: 'max', goal: 1.5 },
  { what: 'p99 c=50 vs Envoy 1.40 (aim)', of: 'envoy', metric: (r) => r.echo50.p99us, kind: 'max', goal: 1.5 },
];

export function targetsTable(rows: readonly TcpRow[]): string {
  const row = (key: SubjectKey) => rows.find((r) => r.subject.key === key);
  const lines = TARGETS.flatMap((target) => {
    const measured = row(target.subject ?? 'nodevoy');
    const reference = row(target.of);
    if (!measured || !reference) return [];
    const ratio = target.metric(measured) / target.metric(reference);
    const met = Number.isFinite(ratio) && (target.kind === 'min' ? ratio >= target.goal : ratio <= target.goal);
    return [`| ${target.what} | ${f(ratio, 2)}x | ${target.kind === 'min' ? '>=' : '<='} ${target.goal}x | ${met ? 'met' : 'missed'} |`];
  });
  return `| nodevoy (seed topology, 1 worker unless stated) | ratio | target | |\n|---|---|---|---|\n${lines.join('\n')}\n`;
}
