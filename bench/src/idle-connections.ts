// Memory of idle connections: how much RSS the seed topology adds per connection held open
// (client -> listener -> internal listener -> echo upstream, nothing sent).
import { readFileSync } from 'node:fs';
import { rssMiB, startLoadgen, startNodevoy, stop } from './processes.js';
import { internalHopConfig } from './topologies.js';

const WANTED = 10_000;

/** Each proxied connection holds two descriptors (client side, upstream side): stay under the limit. */
function connectionsAllowed(): number {
  const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? WANTED * 2);
  return Math.min(WANTED, Math.floor((limit - 500) / 2));
}

export interface IdleRow {
  readonly connections: number;
  readonly rssIdleMiB: number;
  readonly rssHeldMiB: number;
}

export async function measureIdleConnections(echoPort: number, sinkPort: number): Promise<IdleRow> {
  const connections = connectionsAllowed();
  process.stderr.write(`measuring: ${connections} idle connections\n`);
  const proxy = await startNodevoy(internalHopConfig(echoPort, sinkPort));
  const pid = proxy.child.pid as number;
  const rssIdleMiB = rssMiB(pid);
  const clients = await startLoadgen(['stall', proxy.ports.get('echo_in') as number, 2, connections]);
  const rssHeldMiB = rssMiB(pid);
  await stop(clients.child);
  await stop(proxy.child);
  return { connections, rssIdleMiB, rssHeldMiB };
}

export function idleTable(row: IdleRow): string {
  const added = row.rssHeldMiB - row.rssIdleMiB;
  const perConnectionKiB = (added * 1024) / row.connections;
  const projected = (perConnectionKiB * WANTED) / 1024;
  return (
    `| idle connections through the seed topology | RSS before MiB | RSS held MiB | added MiB | per connection KiB | projected for ${WANTED.toLocaleString('en')} MiB | target |\n|---|---|---|---|---|---|---|\n` +
    `| ${row.connections} | ${row.rssIdleMiB.toFixed(1)} | ${row.rssHeldMiB.toFixed(1)} | ${added.toFixed(1)} | ${perConnectionKiB.toFixed(1)} | ${projected.toFixed(1)} | < 100 MiB: ${projected < 100 ? 'met' : 'missed'} |\n`
  );
}
