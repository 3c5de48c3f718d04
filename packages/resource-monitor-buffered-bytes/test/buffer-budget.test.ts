// A process-wide buffer budget through the real CLI: clients that stop reading behind a
// three-hop chain (TCP listener -> internal -> internal -> upstream) fill the budget, reads pause,
// new connections are rejected, and the proxy's memory stays near where it started; once the
// clients read, every byte arrives and the proxy accepts again.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import t from 'tap';
import { bootstrap, bufferBudget, cluster, collect, connectTo, internalListener, startNodevoy, startTcpServer, tcpListener, tcpProxyFilter } from '@nodevoy/test-kit';

const MiB = 1024 * 1024;
const BUDGET = 16 * MiB;
/** At most this many clients: each stalled one holds >= 3 MiB, so the budget is reached well before. */
const CLIENTS = 10;
/** More than loopback's kernel buffers absorb (~10 MiB), so most of it waits in the proxy. */
const BYTES_PER_CLIENT = 24 * MiB;
/** Large per-connection limits: without a budget, each stalled client pins ~12 MiB in the proxy. */
const LIMIT = `    per_connection_buffer_limit_bytes: ${4 * MiB}\n`;

/** Each connection gets the same known bytes: a counter pattern, so loss or reordering shows. */
const PAYLOAD = Buffer.alloc(BYTES_PER_CLIENT, 0).map((_, i) => (i * 7) % 251);
const PAYLOAD_SHA = createHash('sha256').update(PAYLOAD).digest('hex');

const OVERLOAD = bufferBudget(BUDGET, '0.05s');

function config(upstreamPort: number): string {
  return bootstrap({
    listeners: [
      tcpListener('front', tcpProxyFilter({ statPrefix: 'front', cluster: 'hop_a' }), LIMIT),
      internalListener('hop_a', tcpProxyFilter({ statPrefix: 'hop_a', cluster: 'hop_b' }), LIMIT),
      internalListener('hop_b', tcpProxyFilter({ statPrefix: 'hop_b', cluster: 'origin' }), LIMIT),
    ],
    clusters: [
      cluster('hop_a', [{ internal: 'hop_a' }], LIMIT),
      cluster('hop_b', [{ internal: 'hop_b' }], LIMIT),
      cluster('origin', [{ port: upstreamPort }], LIMIT),
    ],
    bufferSizeKb: 4096,
    tail: OVERLOAD,
  });
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(line?.[1] ?? 0) * 1024;
}

t.test('clients that stop reading fill the budget, not the memory; nothing accepted is lost', async (t) => {
  const origin = await startTcpServer(t, (socket) => socket.end(PAYLOAD));
  const proxy = await startNodevoy(t, config(origin.port));
  const port = await proxy.admin.listenerPort('front');
  const pid = proxy.child.pid as number;
  const rssAtStart = rssBytes(pid);

  // Clients connect one after the other and never read, until the budget is reached; from then
  // on new ones are rejected (the configured policy). Each accepted client is let stall (the
  // proxy holds at least its front write buffer, 4 MiB, or the budget is reached) before the next.
  // Listener stats are named after the configured address, as in Envoy.
  const frontReject = 'listener.127.0.0.1_0.downstream_cx_overload_reject';
  const pauseActive = 'overload.nodevoy.overload_actions.pause_reads.active';
  const clients: Socket[] = [];
  const rejected: Promise<number>[] = [];
  for (let i = 0; i < CLIENTS && rejected.length === 0; i++) {
    const heldBefore = (await proxy.admin.stat('overload.buffered_bytes')) ?? 0;
    const client = await connectTo(t, port);
    client.pause();
    // A paused socket still reports its end; listen now, before it can happen.
    const bytesAtEnd = once(client, 'end').then(() => client.bytesRead);
    const stats = await proxy.admin.waitForStats((s) => (s.get('cluster.origin.upstream_cx_total') ?? 0) + (s.get(frontReject) ?? 0) === i + 1);
    if ((stats.get(frontReject) ?? 0) > 0) {
      rejected.push(bytesAtEnd);
      continue;
    }
    clients.push(client);
    await proxy.admin.waitForStats((s) => s.get(pauseActive) === 1 || (s.get('overload.buffered_bytes') ?? 0) >= heldBefore + 3 * MiB);
  }
  t.ok(clients.length >= 1 && rejected.length >= 1, `${clients.length} clients got in before the budget was reached, ${rejected.length} were rejected`);
  t.same(await Promise.all(rejected), rejected.map(() => 0), 'a connection rejected under pressure is closed with no data');

  await proxy.admin.waitForStat(pauseActive, (v) => v === 1);
  const buffered = await proxy.admin.stat('overload.buffered_bytes');
  t.ok(buffered !== undefined && buffered <= BUDGET, `bytes held across all hops (${buffered}) stay within the budget (${BUDGET})`);
  const rssGrowth = rssBytes(pid) - rssAtStart;
  // Without the budget every stalled client pins ~12 MiB in the proxy: ~120 MiB for ten.
  t.ok(rssGrowth < 64 * MiB, `RSS grew by ${(rssGrowth / MiB).toFixed(1)} MiB`);

  const received = await Promise.all(
    clients.map(async (client) => {
      const result = collect(client);
      client.resume();
      return result;
    }),
  );
  t.same(
    received.map((r) => [r.data.length, createHash('sha256').update(r.data).digest('hex'), r.end]),
    clients.map(() => [BYTES_PER_CLIENT, PAYLOAD_SHA, 'fin']),
    'every client, once it reads, gets all its bytes in order, then the FIN',
  );

  await proxy.admin.waitForStat('overload.nodevoy.overload_actions.pause_reads.active', (v) => v === 0);
  await proxy.admin.waitForStat('overload.envoy.overload_actions.reject_incoming_connections.active', (v) => v === 0);
  const after = await collect(await connectTo(t, port));
  t.equal(after.data.length, BYTES_PER_CLIENT, 'with the pressure gone, a new client is served again');
});

t.test('a bad overload config names the field', async (t) => {
  const bad = config(1).replace('nodevoy.overload_actions.pause_reads', 'envoy.overload_actions.shrink_heap');
  const error = await startNodevoy(t, bad).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(error, /overload_manager\.actions\[0\]\.name: overload action 'envoy\.overload_actions\.shrink_heap' is not implemented by nodevoy/);
  const unknownTrigger = config(1).replace('triggers: [{ name: nodevoy.resource_monitors.buffered_bytes, threshold: { value: 0.95 } }]', 'triggers: [{ name: nope, threshold: { value: 0.95 } }]');
  const triggerError = await startNodevoy(t, unknownTrigger).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(triggerError, /overload_manager\.actions\[0\]\.triggers\[0\]\.name: unknown trigger resource nope/);
});
