// The processes a benchmark run starts (proxies, upstreams, load generators) and what it reads
// about them from /proc. Every process started here is killed when the run ends, however it ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const NODEVOY = here('../../packages/cli/dist/bin.js');
const WORK = here('../.work/');

// Every process the bench starts is stopped when it ends, however it ends.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function startProcess(args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    text += chunk.toString();
    if (text.includes('\n')) return text.split('\n')[0] as string;
  }
  throw new Error('process ended before printing');
}

/** Runs a load generator mode to its result line; the process is left to exit by itself. */
export async function loadgen(args: (string | number)[]): Promise<Record<string, number>> {
  return (await startLoadgen(args)).result;
}

/** Starts a load generator and waits for its result line; the caller stops the process. */
export async function startLoadgen(args: (string | number)[]): Promise<{ child: ChildProcess; result: Record<string, number> }> {
  const child = startProcess([here('./loadgen.js'), ...args.map(String)]);
  return { child, result: JSON.parse(await firstLine(child)) as Record<string, number> };
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** utime + stime of a process, in microseconds. */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / 100) * 1e6;
}

export function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

export async function adminGet(admin: string, path: string): Promise<Response | undefined> {
  try {
    return await fetch(`http://${admin}${path}`);
  } catch {
    return undefined;
  }
}

export async function startNodevoy(config: string): Promise<{ child: ChildProcess; ports: Map<string, number>; admin: string }> {
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
      return { child, ports, admin };
    }
    if (child.exitCode !== null) throw new Error('nodevoy exited during startup');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}


/** Current resident set size of a process, in MiB. */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
