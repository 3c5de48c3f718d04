// Memory under slow readers: 1,000 clients that never read, through three hops to an upstream
// that sends each of them 4 MiB, with and without a process-wide buffer budget.
import { adminGet, rssMiB, startLoadgen, startNodevoy, stop } from './processes.js';
import { slowReaderChainConfig } from './topologies.js';

const CLIENTS = Number(process.env['BENCH_SLOW_READERS'] ?? 1000);
const BUDGET = 64 * 1024 * 1024;
/** Time for the chain to fill up once every client is connected. */
export const SETTLE_SECONDS = 3;

export interface SlowReaderRow {
  readonly subject: string;
  readonly accepted: number;
  readonly rejected: number;
  readonly rssIdleMiB: number;
  readonly rssStalledMiB: number;
  /** What the proxy reports holding (with a budget only). */
  readonly bufferedMiB: number | undefined;
}

export async function measureSlowReaders(firehosePort: number): Promise<SlowReaderRow[]> {
  const rows: SlowReaderRow[] = [];
  for (const [subject, budget] of [
    ['no budget (Envoy defaults: 1 MiB per connection)', undefined],
    [`buffer budget ${BUDGET / 1024 / 1024} MiB`, BUDGET],
  ] as const) {
    process.stderr.write(`measuring: ${CLIENTS} slow readers, ${subject}\n`);
    const { child, ports, admin } = await startNodevoy(slowReaderChainConfig(firehosePort, budget));
    const pid = child.pid as number;
    const rssIdleMiB = rssMiB(pid);
    const clients = await startLoadgen(['stall', ports.get('front') as number, SETTLE_SECONDS, CLIENTS]);
    const rssStalledMiB = rssMiB(pid);
    const stats = (await (await adminGet(admin, '/stats?format=json&filter=^overload.buffered_bytes$'))?.json()) as { stats: { name: string; value: number }[] };
    const buffered = stats.stats.find((s) => s.name === 'overload.buffered_bytes')?.value;
    await stop(clients.child);
    await stop(child);
    rows.push({
      subject,
      accepted: clients.result['accepted'] ?? NaN,
      rejected: clients.result['rejected'] ?? NaN,
      rssIdleMiB,
      rssStalledMiB,
      bufferedMiB: buffered === undefined ? undefined : buffered / 1024 / 1024,
    });
  }
  return rows;
}

export function slowReaderTable(rows: SlowReaderRow[]): string {
  const f = (n: number | undefined, digits = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  return (
    `| ${CLIENTS} clients that never read, 3 hops, 4 MiB each | accepted | rejected | RSS idle MiB | RSS stalled MiB | growth MiB | held in buffers MiB |\n|---|---|---|---|---|---|---|\n` +
    rows
      .map((r) => `| ${r.subject} | ${f(r.accepted)} | ${f(r.rejected)} | ${f(r.rssIdleMiB, 1)} | ${f(r.rssStalledMiB, 1)} | ${f(r.rssStalledMiB - r.rssIdleMiB, 1)} | ${f(r.bufferedMiB, 1)} |`)
      .join('\n') +
    '\n'
  );
}
