// npm run bench: the seed topology (client -> listener -> internal listener -> upstream) beside
// the same chain over a loopback TCP hop. Prints a table and writes bench/RESULTS.md.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { cpuMicros, firstLine, freePort, here, loadgen, peakRssMiB, startNodevoy, startProcess } from './processes.js';
import { SETTLE_SECONDS, measureSlowReaders, slowReaderTable } from './slow-readers.js';
import { httpChainConfig, httpDirectConfig, internalHopConfig, tcpHopConfig } from './topologies.js';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);

interface Subject {
  readonly name: string;
  readonly config: (ports: UpstreamPorts, hopPorts: readonly [number, number]) => string;
}

interface UpstreamPorts {
  readonly echo: number;
  readonly sink: number;
  readonly http: number;
  readonly firehose: number;
}

const subjects: Subject[] = [
  { name: 'nodevoy, internal listener hop (seed topology)', config: (p) => internalHopConfig(p.echo, p.sink) },
  { name: 'nodevoy, loopback TCP hop', config: (p, hops) => tcpHopConfig(p.echo, p.sink, hops) },
];

interface Row {
  subject: string;
  bulkGbps: number;
  echo1Rps: number;
  echo1P99: number;
  echo50Rps: number;
  echo50P99: number;
  cpuPerReqUs: number;
  connPerSec: number;
  peakRssMiB: number;
}

async function measure(subject: Subject, upstream: UpstreamPorts): Promise<Row> {
  const { child, ports } = await startNodevoy(subject.config(upstream, [await freePort(), await freePort()]));
  const pid = child.pid as number;
  const port = (name: string) => ports.get(name) as number;
  const bulk = await loadgen(['bulk', port('bulk_in'), SECONDS, 1]);
  const echo1 = await loadgen(['echo', port('echo_in'), SECONDS, 1, 64]);
  const cpuBefore = cpuMicros(pid);
  const echo50 = await loadgen(['echo', port('echo_in'), SECONDS, 50, 64]);
  const cpuPerReqUs = (cpuMicros(pid) - cpuBefore) / (echo50['requests'] ?? 1);
  const conn = await loadgen(['connrate', port('echo_in'), SECONDS, 50]);
  const row: Row = {
    subject: subject.name,
    bulkGbps: bulk['gbps'] ?? NaN,
    echo1Rps: echo1['rps'] ?? NaN,
    echo1P99: echo1['p99us'] ?? NaN,
    echo50Rps: echo50['rps'] ?? NaN,
    echo50P99: echo50['p99us'] ?? NaN,
    cpuPerReqUs,
    connPerSec: conn['cps'] ?? NaN,
    peakRssMiB: peakRssMiB(pid),
  };
  child.kill('SIGTERM');
  await once(child, 'exit');
  return row;
}

function table(rows: Row[]): string {
  const header =
    '| topology (client -> listener -> 2nd hop -> upstream) | bulk Gbit/s c=1 | echo rps c=1 | p99 µs c=1 | echo rps c=50 | p99 µs c=50 | proxy CPU µs/req c=50 | conn/s c=50 | peak RSS MiB |\n|---|---|---|---|---|---|---|---|---|\n';
  const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  return (
    header +
    rows
      .map(
        (r) =>
          `| ${r.subject} | ${f(r.bulkGbps, 2)} | ${f(r.echo1Rps)} | ${f(r.echo1P99)} | ${f(r.echo50Rps)} | ${f(r.echo50P99)} | ${f(r.cpuPerReqUs, 1)} | ${f(r.connPerSec)} | ${f(r.peakRssMiB, 1)} |`,
      )
      .join('\n') +
    '\n'
  );
}

function ratios(rows: Row[]): string {
  const [internal, tcp] = rows;
  if (!internal || !tcp) return '';
  const r = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return `\nInternal hop vs loopback TCP hop: bulk ${r(internal.bulkGbps, tcp.bulkGbps)}, echo c=50 rps ${r(internal.echo50Rps, tcp.echo50Rps)}, CPU/request ${r(internal.cpuPerReqUs, tcp.cpuPerReqUs)}, conn/s ${r(internal.connPerSec, tcp.connPerSec)}.\n`;
}

/** A proxy under HTTP load: its process and the port its clients use. */
interface RunningProxy {
  readonly child: ChildProcess;
  readonly port: number;
}

interface HttpSubject {
  readonly name: string;
  start(httpPort: number): Promise<RunningProxy>;
}

const nodevoyHttp = (config: (httpPort: number) => string) => async (httpPort: number) => {
  const { child, ports } = await startNodevoy(config(httpPort));
  return { child, port: ports.get('http_in') as number };
};

const httpSubjects: HttpSubject[] = [
  { name: 'nodevoy, encap -> decap chain (HCM, tcp_proxy CONNECT, HCM, HCM; internal listeners)', start: nodevoyHttp(httpChainConfig) },
  { name: 'nodevoy, connection manager -> upstream', start: nodevoyHttp(httpDirectConfig) },
  {
    name: 'reference: minimal node:http proxy',
    async start(httpPort) {
      const child = startProcess([here('./node-proxy.js'), String(httpPort)]);
      return { child, port: (JSON.parse(await firstLine(child)) as { port: number }).port };
    },
  },
];

interface HttpRow {
  subject: string;
  rps1: number;
  p99us1: number;
  rps50: number;
  p99us50: number;
  cpuPerReqUs: number;
  peakRssMiB: number;
}

async function measureHttp(subject: HttpSubject, httpPort: number): Promise<HttpRow> {
  const { child, port } = await subject.start(httpPort);
  const pid = child.pid as number;
  await loadgen(['http', port, 1, 50]); // warm-up: the JIT has compiled the request path
  const c1 = await loadgen(['http', port, SECONDS, 1]);
  const cpuBefore = cpuMicros(pid);
  const c50 = await loadgen(['http', port, SECONDS, 50]);
  const row: HttpRow = {
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

function httpTable(rows: HttpRow[]): string {
  const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  return (
    '| HTTP/1.1 keep-alive GET (client -> proxy -> upstream) | rps c=1 | p99 µs c=1 | rps c=50 | p99 µs c=50 | proxy CPU µs/req c=50 | peak RSS MiB |\n|---|---|---|---|---|---|---|\n' +
    rows.map((r) => `| ${r.subject} | ${f(r.rps1)} | ${f(r.p99us1)} | ${f(r.rps50)} | ${f(r.p99us50)} | ${f(r.cpuPerReqUs, 1)} | ${f(r.peakRssMiB, 1)} |`).join('\n') +
    '\n'
  );
}

const upstreamProcess = startProcess([here('./upstream.js')]);
const upstream = JSON.parse(await firstLine(upstreamProcess)) as UpstreamPorts;
const rows: Row[] = [];
for (const subject of subjects) {
  process.stderr.write(`measuring: ${subject.name}\n`);
  rows.push(await measure(subject, upstream));
}
const httpRows: HttpRow[] = [];
for (const subject of httpSubjects) {
  process.stderr.write(`measuring: ${subject.name}\n`);
  httpRows.push(await measureHttp(subject, upstream.http));
}
const slowReaderRows = await measureSlowReaders(upstream.firehose);
upstreamProcess.kill('SIGKILL');

const cpu = cpus()[0]?.model ?? 'unknown cpu';
const kernel = execFileSync('uname', ['-r']).toString().trim();
const report = `# nodevoy benchmark results

Run: ${new Date().toISOString()} · Node ${process.version} · ${cpus().length} × ${cpu} · Linux ${kernel} · ${SECONDS}s per measurement ·
load generator, upstreams and proxy as separate processes on the same machine (they share the cores).

## TCP

${table(rows)}${ratios(rows)}
Workloads: bulk = one connection streaming 64 KiB writes to a discarding upstream; echo = 64-byte
request/response ping-pong; conn/s = connect, 1 byte each way, close. Proxy CPU = utime+stime of
the nodevoy process over the c=50 echo run, divided by requests.

## HTTP

${httpTable(httpRows)}
Workload: each connection sends \`GET /\` and waits for the whole response (13-byte body) before
the next, for ${SECONDS}s; c = client connections. The chain row runs the seed's two real-world use
cases back to back in one process: every request is encapsulated in an HTTP/2 CONNECT and
decapsulated again before it reaches the upstream. The reference is a 20-line node:http proxy with
a keep-alive pool (bench/src/node-proxy.ts): no routing, no stats, no header rules.

## Memory under slow readers

${slowReaderTable(slowReaderRows)}
Each client connects (50 at a time) and never reads; the upstream sends each connection 4 MiB.
RSS is the proxy's, before the clients and ${SETTLE_SECONDS} s after the last one connected. Without a budget,
every stalled client pins up to its per-connection limits at each hop; with one, reads from
kernel sockets pause at 95% of it and new connections are closed (the README's overload section).
`;
process.stdout.write(`\n${table(rows)}${ratios(rows)}\n${httpTable(httpRows)}\n${slowReaderTable(slowReaderRows)}`);
writeFileSync(here('../RESULTS.md'), report);
process.exit(0);
