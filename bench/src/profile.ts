// npm run profile -w @nodevoy/bench: where nodevoy's CPU goes, per workload: on the seed topology
// (bulk, 64-byte echo at c=50, new connections at c=50) and behind a TLS listener (bulk, full
// handshakes), from V8's CPU profiler (--cpu-prof).
// Writes bench/PROFILE.md; each .cpuprofile stays in bench/.work/ for a flame graph viewer.
import { once } from 'node:events';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadgen, firstLine, here, startProcess, stop } from './processes.js';
import { benchCertificates } from './tls-bench.js';
import { httpChainConfig, httpDirectConfig, internalHopConfig, tlsTerminateConfig } from './topologies.js';

const NODEVOY = here('../../packages/cli/dist/bin.js');
const SECONDS = 4;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function, and per kind of work (idle, GC, native calls, Node.js, nodevoy). */
function summarize(profile: CpuProfile): { kinds: [string, number][]; top: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const functions = new Map<string, number>();
  const kinds = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    if (!frame) return;
    total += dt;
    const name = frame.url ? `${frame.functionName || '(anonymous)'} (${frame.url.replace(/^.*\/(packages|node_modules)\//, '')}:${frame.lineNumber + 1})` : frame.functionName;
    functions.set(name, (functions.get(name) ?? 0) + dt);
    const kind = frame.functionName === '(idle)' ? 'idle (waiting for I/O)'
      : frame.functionName === '(garbage collector)' ? 'garbage collection'
      : !frame.url ? 'native code (system calls, V8 builtins)'
      : frame.url.startsWith('node:') ? 'Node.js internals (streams, net)'
      : 'nodevoy and its dependencies (JavaScript)';
    kinds.set(kind, (kinds.get(kind) ?? 0) + dt);
  });
  const share = (entries: Map<string, number>) => [...entries].map(([k, v]) => [k, (v / total) * 100] as [string, number]).sort((a, b) => b[1] - a[1]);
  return { kinds: share(kinds), top: share(functions).slice(0, 12) };
}

async function profileWorkload(name: string, config: string, load: (proxyPorts: Map<string, number>) => Promise<string>): Promise<string> {
  const dir = here(`../.work/profile-${name}/`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}config.yaml`, config);
  const proxy = startProcess(['--cpu-prof', '--cpu-prof-dir', dir, NODEVOY, '-c', `${dir}config.yaml`, '-l', 'warning', '--concurrency', '1', '--drain-time-s', '0', '--admin-address-path', `${dir}admin.txt`]);
  let admin = '';
  while (!admin) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      admin = readFileSync(`${dir}admin.txt`, 'utf8').trim();
    } catch {
      // not written yet
    }
  }
  const listeners = (await (await fetch(`http://${admin}/listeners?format=json`)).json()) as { listener_statuses: { name: string; local_address: { socket_address?: { port_value: number } } }[] };
  const proxyPorts = new Map(listeners.listener_statuses.flatMap((l) => (l.local_address.socket_address ? [[l.name, l.local_address.socket_address.port_value] as const] : [])));
  const result = await load(proxyPorts);
  const exited = once(proxy, 'exit');
  await stop(proxy);
  await exited;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return `### ${name}\n\nno profile written\n`;
  const { kinds, top } = summarize(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as CpuProfile);
  const rows = (entries: [string, number][]) => entries.map(([k, v]) => `| ${k} | ${v.toFixed(1)}% |`).join('\n');
  return `### ${name}\n\n${result}\n\n| where the proxy's CPU samples fall | share |\n|---|---|\n${rows(kinds)}\n\n| top functions by self time | share |\n|---|---|\n${rows(top)}\n\nProfile: \`bench/.work/profile-${name}/${file}\`\n`;
}

const upstreamProcess = startProcess([here('./upstream.js')]);
const upstream = JSON.parse(await firstLine(upstreamProcess)) as { echo: number; sink: number; http: number };
const seed = internalHopConfig(upstream.echo, upstream.sink);
const tls = tlsTerminateConfig(upstream.echo, upstream.sink, (await benchCertificates()).server);
type Workload = [name: string, config: string, load: (proxyPorts: Map<string, number>) => Promise<string>];
const workloads: Workload[] = [
  ['bulk', seed, async (p) => {
    const r = await loadgen(['bulk', p.get('bulk_in') as number, SECONDS, 1]);
    return `One connection streaming 64 KiB writes for ${SECONDS} s: ${(r['gbps'] ?? NaN).toFixed(2)} Gbit/s.`;
  }],
  ['echo', seed, async (p) => {
    const r = await loadgen(['echo', p.get('echo_in') as number, SECONDS, 50, 64]);
    return `64-byte echo on 50 connections for ${SECONDS} s: ${(r['rps'] ?? NaN).toFixed(0)} requests/s.`;
  }],
  ['connections', seed, async (p) => {
    const r = await loadgen(['connrate', p.get('echo_in') as number, SECONDS, 50]);
    return `Connect, 1 byte each way, close, 50 at a time for ${SECONDS} s: ${(r['cps'] ?? NaN).toFixed(0)} connections/s.`;
  }],
  ['tls-bulk', tls, async (p) => {
    const r = await loadgen(['tls-bulk', p.get('bulk_in') as number, SECONDS, 1]);
    return `TLS listener, tcp_proxy to the sink: one connection streaming 64 KiB writes for ${SECONDS} s: ${(r['gbps'] ?? NaN).toFixed(2)} Gbit/s.`;
  }],
  ['tls-handshakes', tls, async (p) => {
    const r = await loadgen(['handshake', p.get('echo_in') as number, SECONDS, 50, 0]);
    return `TLS listener, tcp_proxy to the echo upstream: full TLS 1.3 handshakes, 1 byte each way, close, 50 at a time for ${SECONDS} s: ${(r['cps'] ?? NaN).toFixed(0)} handshakes/s.`;
  }],
  ['http-direct', httpDirectConfig(upstream.http), async (p) => {
    const r = await loadgen(['http', p.get('http_in') as number, SECONDS, 50]);
    return `HTTP/1.1 keep-alive GETs, connection manager -> upstream, 50 connections for ${SECONDS} s: ${(r['rps'] ?? NaN).toFixed(0)} requests/s.`;
  }],
  ['http-chain', httpChainConfig(upstream.http), async (p) => {
    const r = await loadgen(['http', p.get('http_in') as number, SECONDS, 50]);
    return `HTTP/1.1 keep-alive GETs through the seed's encap -> decap chain, 50 connections for ${SECONDS} s: ${(r['rps'] ?? NaN).toFixed(0)} requests/s.`;
  }],
];
// `npm run profile -w @nodevoy/bench -- http-direct echo` profiles just those workloads.
const chosen = process.argv.slice(2);
const sections: string[] = [];
for (const [name, config, load] of workloads) {
  if (chosen.length === 0 || chosen.includes(name)) sections.push(await profileWorkload(name, config, load));
}
upstreamProcess.kill('SIGKILL');
writeFileSync(
  here('../PROFILE.md'),
  `# Where nodevoy's CPU goes

\`npm run profile -w @nodevoy/bench\`, ${new Date().toISOString()}: nodevoy (one worker) on the seed topology
(client -> listener -> internal listener -> upstream), and a TLS listener in front of tcp_proxy, under V8's CPU profiler, one workload at a time,
load generator and upstreams in their own processes on the same two cores.

${sections.join('\n')}`,
);
process.exit(0);
