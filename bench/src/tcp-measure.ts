// The TCP figures of one subject: bulk throughput with iperf3 (1 and 8 streams), 64-byte echo
// at 1 and 50 connections (rate, p50, p99, and the proxy's CPU time per request), new
// connections per second, and peak RSS.
import { once } from 'node:events';
import { commandExists, cpuMicros, freePort, loadgen, peakRssMiB, startCommand, waitForPort } from './processes.js';
import type { RunningSubject, TcpSubject, TcpUpstreams } from './tcp-subjects.js';

export const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);

export interface Latency {
  readonly rps: number;
  readonly p50us: number;
  readonly p99us: number;
}

export interface TcpRow {
  readonly subject: TcpSubject;
  readonly bulk1Gbps: number;
  readonly bulk8Gbps: number;
  readonly echo1: Latency;
  readonly echo50: Latency;
  /** utime + stime of the proxy over the c=50 echo run, per request. */
  readonly cpuPerReqUs: number;
  readonly connPerSec: number;
  readonly peakRssMiB: number;
}

export const HAS_IPERF3 = commandExists('iperf3');

/** The bulk upstream: iperf3's server when installed (else the bench's discarding sink). */
export async function startBulkUpstream(sinkPort: number): Promise<{ port: number; close(): void }> {
  if (!HAS_IPERF3) return { port: sinkPort, close() {} };
  const port = await freePort();
  const child = startCommand('iperf3', ['-s', '-p', String(port)], true);
  await waitForPort(port, child);
  return { port, close: () => child.kill('SIGKILL') };
}

async function iperf3(port: number, streams: number): Promise<number> {
  const child = startCommand('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(SECONDS), '-P', String(streams), '-J'], true);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await once(child, 'exit');
  try {
    const result = JSON.parse(out) as { end?: { sum_received?: { bits_per_second?: number } } };
    return (result.end?.sum_received?.bits_per_second ?? NaN) / 1e9;
  } catch {
    return NaN;
  }
}

async function bulk(running: RunningSubject, streams: number): Promise<number> {
  if (HAS_IPERF3) return iperf3(running.bulk, streams);
  return (await loadgen(['bulk', running.bulk, SECONDS, streams]))['gbps'] ?? NaN;
}

const latency = (r: Record<string, number>): Latency => ({ rps: r['rps'] ?? NaN, p50us: r['p50us'] ?? NaN, p99us: r['p99us'] ?? NaN });

export async function measureTcp(subject: TcpSubject, upstreams: TcpUpstreams): Promise<TcpRow> {
  const running = await subject.start(upstreams);
  try {
    // Warm-up: the JIT (where there is one) has compiled the data path before anything counts.
    await loadgen(['echo', running.echo, 1, 10, 64]);
    const bulk1Gbps = await bulk(running, 1);
    const bulk8Gbps = await bulk(running, 8);
    const echo1 = latency(await loadgen(['echo', running.echo, SECONDS, 1, 64]));
    const cpuBefore = cpuMicros(running.pid);
    const echo50raw = await loadgen(['echo', running.echo, SECONDS, 50, 64]);
    const cpuPerReqUs = (cpuMicros(running.pid) - cpuBefore) / (echo50raw['requests'] ?? 1);
    const connPerSec = (await loadgen(['connrate', running.echo, SECONDS, 50]))['cps'] ?? NaN;
    return { subject, bulk1Gbps, bulk8Gbps, echo1, echo50: latency(echo50raw), cpuPerReqUs, connPerSec, peakRssMiB: peakRssMiB(running.pid) };
  } finally {
    await running.stop();
  }
}

const hi = (a: number, b: number) => (Number.isFinite(a) && (!Number.isFinite(b) || a >= b) ? a : b);
const lo = (a: number, b: number) => (Number.isFinite(a) && (!Number.isFinite(b) || a <= b) ? a : b);
const bestLatency = (a: Latency, b: Latency): Latency => ({ rps: hi(a.rps, b.rps), p50us: lo(a.p50us, b.p50us), p99us: lo(a.p99us, b.p99us) });

/**
 * The better of two rounds, figure by figure: the two cores are shared with the load
 * generators and upstreams, so a single round can lose a third of its throughput to a
 * neighbour; every subject gets the same treatment.
 */
export function bestOf(a: TcpRow, b: TcpRow): TcpRow {
  return {
    subject: a.subject,
    bulk1Gbps: hi(a.bulk1Gbps, b.bulk1Gbps),
    bulk8Gbps: hi(a.bulk8Gbps, b.bulk8Gbps),
    echo1: bestLatency(a.echo1, b.echo1),
    echo50: bestLatency(a.echo50, b.echo50),
    cpuPerReqUs: lo(a.cpuPerReqUs, b.cpuPerReqUs),
    connPerSec: hi(a.connPerSec, b.connPerSec),
    peakRssMiB: Math.max(a.peakRssMiB, b.peakRssMiB),
  };
}
