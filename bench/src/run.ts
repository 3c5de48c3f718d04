// npm run bench: the seed topology (client -> listener -> internal listener -> upstream) beside
// the same chain over a loopback TCP hop. Prints a table and writes bench/RESULTS.md.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { httpChainConfig, httpDirectConfig, internalHopConfig, tcpHopConfig } from './topologies.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const NODEVOY = here('../../packages/cli/dist/bin.js');
const WORK = here('../.work/');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);

interface Subject {
  readonly name: string;
  readonly config: (ports: UpstreamPorts, hopPorts: readonly [number, number]) => string;
}

interface UpstreamPorts {
  readonly echo: number;
  readonly sink: number;
  readonly http: number;
}

const subjects: Subject[] = [
  { name: 'nodevoy, internal listener hop (seed topology)', config: (p) => internalHopConfig(p.echo, p.sink) },
  { name: 'nodevoy, loopback TCP hop', config: (p, hops) => tcpHopConfig(p.echo, p.sink, hops) },
];

// Every process the bench starts is stopped when it ends, however it ends.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function startProcess(args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    text += chunk.toString();
    if (text.includes('\n')) return text.split('\n')[0] as string;
  }
  throw new Error('process ended before printing');
}

async function loadgen(args: (string | number)[]): Promise<Record<string, number>> {
  const child = startProcess([here('./loadgen.js'), ...args.map(String)]);
  return JSON.parse(await firstLine(child)) as Record<string, number>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** utime + stime of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / 100) * 1e6;
}

function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

async function adminGet(admin: string, path: string): Promise<Response | undefined> {
  try {
    return await fetch(`http://${admin}${path}`);
  } catch {
    return undefined;
  }
}

async function startNodevoy(config: string): Promise<{ child: ChildProcess; ports: Map<string, number> }> {
  mkdirSync(WORK, { recursive: true });
  writeFileSync(`${WORK}config.yaml`, config);
  const adminPath = `${WORK}admin.txt`;
  writeFileSync(adminPath, '');
  const child = startProcess([NODEVOY, '-c', `${WORK}config.yaml`, '--admin-address-path', adminPath, '--drain-time-s', '0', '-l', 'warning']);
  for (;;) {
    const admin = existsSync(adminPath) ? readFileSync(adminPath, 'utf8').trim() : '';
    if (admin && (await adminGet(admin, '/ready'))?.status === 200) {
      const listeners = (await (await adminGet(admin, '/listeners?format=json'))?.json()) as {
        listener_statuses: { name: string; local_address: { socket_address?: { port_value: number } } }[];
      };
      const ports = new Map(listeners.listener_statuses.flatMap((l) => (l.local_address.socket_address ? [[l.name, l.local_address.socket_address.port_value] as const] : [])));
      return { child, ports };
    }
    if (child.exitCode !== null) throw new Error('nodevoy exited during startup');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
`;
process.stdout.write(`\n${table(rows)}${ratios(rows)}\n${httpTable(httpRows)}`);
writeFileSync(here('../RESULTS.md'), report);
process.exit(0);
