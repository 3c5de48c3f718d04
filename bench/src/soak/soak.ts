// npm run soak: a few minutes of mixed traffic through nodevoy (HTTP/1.1, HTTP/2, CONNECT, TCP;
// the seed topology and the encap -> decap chain) while its upstreams are killed and restarted,
// reset mid-body and stall, and clients abort and vanish. Loopback only. Prints what completed
// and verified by checksum, the other outcomes by kind, the connections left behind (the admin
// gauges once the clients are gone), and RSS before and after. Exits non-zero when the proxy
// died, an acknowledged exchange lost or changed bytes, or a connection leaked.
import { adminGet, freePort, rssMiB, startEnvoy, startNodevoy, stop } from '../processes.js';
import { EchoChaosUpstream, HttpChaosUpstream } from './chaos-upstreams.js';
import { soakConfig } from './soak-config.js';
import { Tally } from './tally.js';
import { connectLoop, http1Loop, http2Loop, tcpLoop } from './traffic.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 150);
/** How often an upstream dies, and how long it stays dead. */
const KILL_EVERY_MS = 4000;
const DEAD_FOR_MS = 700;

/**
 * The gauges that must be back to 0 once every client is gone. Not the pooled connections of
 * the chain (ingress -> encap keeps HTTP/1.1 connections alive, each with its tunnel through
 * terminate): those are the pool's, and close on their idle timeout.
 */
const MUST_DRAIN = [
  'listener.tcp.downstream_cx_active',
  'listener.http.downstream_cx_active',
  'listener.envoy_internal_inner.downstream_cx_active',
  'http.ingress.downstream_rq_active',
  'http.decap.downstream_rq_active',
  'cluster.to_inner.upstream_cx_active',
  'cluster.echo_upstream.upstream_cx_active',
  'cluster.http_upstream.upstream_rq_active',
  'cluster.encap_cluster.upstream_rq_active',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const http = new HttpChaosUpstream(await freePort());
const echo = new EchoChaosUpstream(await freePort());
await Promise.all([http.start(), echo.start()]);
/** SOAK_PROXY=envoy runs the same soak against Envoy, to tell the proxy's findings from the clients'. */
const start = process.env.SOAK_PROXY === 'envoy' ? startEnvoy : startNodevoy;
const proxy = await start(soakConfig(http.port, echo.port));
const pid = proxy.child.pid!;
const tally = new Tally();
const httpPort = proxy.ports.get('http')!;
const tcpPort = proxy.ports.get('tcp')!;

let trafficOn = true;
const running = () => trafficOn && proxy.child.exitCode === null;
const pending = new Set<string>();
/** SOAK_ONLY=http2,tcp runs only the clients whose names start so (to chase one finding). */
const only = process.env.SOAK_ONLY?.split(',');
const client = (name: string, loop: () => Promise<void>) => {
  if (only && !only.some((prefix) => name.startsWith(prefix))) return Promise.resolve();
  pending.add(name);
  return loop().finally(() => pending.delete(name));
};
const clients = [
  ...Array.from({ length: 3 }, (_, i) => client(`http1 direct ${i}`, () => http1Loop(httpPort, tally, running, '/'))),
  ...Array.from({ length: 2 }, (_, i) => client(`http1 chain ${i}`, () => http1Loop(httpPort, tally, running, '/chain'))),
  client('http2', () => http2Loop(httpPort, tally, running, 6)),
  ...Array.from({ length: 2 }, (_, i) => client(`connect ${i}`, () => connectLoop(httpPort, tally, running))),
  ...Array.from({ length: 3 }, (_, i) => client(`tcp ${i}`, () => tcpLoop(tcpPort, tally, running))),
];

console.log(`soak: ${SECONDS} s against ${process.env.SOAK_PROXY === 'envoy' ? 'envoy' : 'nodevoy'} pid ${pid}; an upstream killed every ${KILL_EVERY_MS / 1000} s for ${DEAD_FOR_MS} ms`);
await sleep(Math.min(10, SECONDS / 5) * 1000);
const rssBefore = rssMiB(pid);
const end = Date.now() + SECONDS * 1000;
for (let round = 0; Date.now() < end && proxy.child.exitCode === null; round++) {
  await sleep(KILL_EVERY_MS - DEAD_FOR_MS);
  const [name, victim] = round % 2 === 0 ? (['http', http] as const) : (['echo', echo] as const);
  tally.epochs[name]++;
  victim.kill();
  await sleep(DEAD_FOR_MS);
  await victim.start();
  tally.epochs[name]++;
}
const rssDuring = rssMiB(pid);
trafficOn = false;
console.log('traffic stopped; waiting for the clients in flight');
const waiting = setInterval(() => console.log(`still in flight: ${[...pending].join(', ')}`), 5000);
await Promise.all(clients);
clearInterval(waiting);
console.log('clients done');
const alive = proxy.child.exitCode === null;

// Once the clients are gone, nothing they opened may stay open: every listener's connections
// and every connection manager's requests back to 0 (pooled upstream connections may stay).
const leaks = alive ? await leftOpen(proxy.admin) : ['(the proxy is gone)'];
const rssAfter = alive ? rssMiB(pid) : 0;
if (alive) {
  console.log('stopping the proxy (SIGTERM)');
  await stop(proxy.child);
}
http.kill();
echo.kill();

console.log(`\nexchanges completed and verified: ${tally.completed}`);
console.log(`bytes verified by checksum: ${(tally.bytesVerified / 2 ** 20).toFixed(1)} MiB`);
console.log(`upstream kills: ${(tally.epochs.http + tally.epochs.echo) / 2}`);
console.log('other outcomes:');
for (const [kind, count] of [...tally.outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(7)}  ${kind}`);
const unexplained = [...tally.outcomes].filter(([kind]) => kind.endsWith('(unexplained)')).reduce((sum, [, n]) => sum + n, 0);
console.log(`outcomes no chaos explains: ${unexplained}`);
console.log(`acknowledged exchanges that lost or changed bytes: ${tally.violations.length}`);
for (const violation of tally.violations) console.log(`  ${violation}`);
console.log(`connections or requests left open: ${leaks.length === 0 ? 'none' : leaks.join(', ')}`);
console.log(`RSS: ${rssBefore.toFixed(1)} MiB after warm-up, ${rssDuring.toFixed(1)} MiB at the end of traffic, ${rssAfter.toFixed(1)} MiB idle`);
console.log(`proxy alive throughout: ${alive ? 'yes' : 'NO'}`);
process.exitCode = alive && tally.violations.length === 0 && leaks.length === 0 ? 0 : 1;

async function leftOpen(admin: string): Promise<string[]> {
  let open: string[] = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(100)) {
    const json = (await (await adminGet(admin, '/stats?format=json'))?.json()) as { stats: { name?: string; value?: number }[] };
    const values = new Map(json.stats.map((s) => [s.name, s.value ?? 0]));
    open = MUST_DRAIN.filter((name) => (values.get(name) ?? 0) > 0).map((name) => `${name}=${values.get(name)}`);
    if (open.length === 0) break;
  }
  return open;
}
