// The resilience half of `npm run soak`: one of three upstreams flaps (refusing connections,
// then answering 503, then healthy again) while clients send requests through nodevoy, once
// with a plain cluster and once with retries, outlier detection and active health checks. It
// prints the success rate and latency of each side by side: what those features buy.
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import { freePort, startNodevoy, stop } from '../processes.js';
import { Killable } from './chaos-upstreams.js';
import { httpProxyBootstrap } from '@nodevoy/test-kit';

const SECONDS = Number(process.env.RESILIENCE_SECONDS ?? 15);
const CLIENTS = 16;
/** The flapping host's cycle: healthy, then refusing connections, then answering 503. */
const PHASE_MS = 800;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An upstream that answers 200 (or 503, and a failing /healthz, while `failing`). */
class Upstream extends Killable {
  failing = false;
  constructor(port: number) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = this.failing ? 503 : 200;
        res.end(this.failing ? 'failing' : 'ok');
      });
    });
    super(server, port);
  }
}

function config(ports: readonly number[], resilient: boolean): string {
  const retry = resilient
    ? ', retry_policy: { retry_on: "5xx,connect-failure,reset", num_retries: 2, retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts }], host_selection_retry_max_attempts: 3, retry_back_off: { base_interval: 0.005s } }'
    : '';
  const resilience = resilient
    ? `    outlier_detection: { consecutive_5xx: 3, interval: 0.5s, base_ejection_time: 1s, max_ejection_percent: 50 }
    health_checks: [{ timeout: 0.5s, interval: 0.25s, no_traffic_interval: 0.25s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: /healthz } }]
`
    : '';
  return httpProxyBootstrap(
    ports.map((port) => ({ port })),
    {
      routes: `              - { match: { prefix: / }, route: { cluster: backend, timeout: 2s${retry} } }\n`,
      clusterExtra: `    connect_timeout: 0.25s\n${resilience}`,
    },
  );
}

interface Result {
  ok: number;
  failed: number;
  readonly latenciesMs: number[];
}

async function run(ports: readonly number[], flapper: Upstream, resilient: boolean): Promise<Result> {
  const proxy = await startNodevoy(config(ports, resilient));
  const port = proxy.ports.get('http') as number;
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const result: Result = { ok: 0, failed: 0, latenciesMs: [] };
  const end = Date.now() + SECONDS * 1000;
  const once1 = async () => {
    const started = performance.now();
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      });
      req.on('error', () => resolve(0));
      req.end();
    });
    result.latenciesMs.push(performance.now() - started);
    if (status === 200) result.ok++;
    else result.failed++;
  };
  const clients = Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < end) await once1();
  });
  // The flapper's cycle runs for as long as the clients do.
  const flapping = (async () => {
    while (Date.now() < end) {
      await sleep(PHASE_MS);
      flapper.kill();
      await sleep(PHASE_MS);
      await flapper.start();
      flapper.failing = true;
      await sleep(PHASE_MS);
      flapper.failing = false;
    }
  })();
  await Promise.all([...clients, flapping]);
  agent.destroy();
  await stop(proxy.child);
  return result;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const upstreams = await Promise.all([0, 1, 2].map(async () => new Upstream(await freePort())));
await Promise.all(upstreams.map((u) => u.start()));
const ports = upstreams.map((u) => u.port);
const flapper = upstreams[2] as Upstream;
console.log(`\nresilience: ${SECONDS} s each, ${CLIENTS} clients, one of three upstreams flapping (${PHASE_MS} ms healthy, refusing, answering 503)`);
const plain = await run(ports, flapper, false);
const resilient = await run(ports, flapper, true);
for (const u of upstreams) u.kill();
const row = (name: string, r: Result) => {
  const total = r.ok + r.failed;
  return `${name.padEnd(44)} ${String(total).padStart(8)} ${((100 * r.ok) / Math.max(1, total)).toFixed(2).padStart(9)}% ${percentile(r.latenciesMs, 50).toFixed(1).padStart(8)} ${percentile(r.latenciesMs, 99).toFixed(1).padStart(8)}`;
};
console.log(`${'cluster'.padEnd(44)} ${'requests'.padStart(8)} ${'success'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
console.log(row('plain (round robin, no retries)', plain));
console.log(row('retries + outlier detection + health checks', resilient));
