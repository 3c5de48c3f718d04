// The processes a benchmark run starts (proxies, upstreams, load generators) and what it reads
// about them from /proc. Every process started here is killed when the run ends, however it ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const NODEVOY = here('../../packages/cli/dist/bin.js');
const WORK = here('../.work/');

// Every process the bench starts is stopped when it ends, however it ends.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts a Node.js script of the bench (or nodevoy) in its own process. */
export function startProcess(args: string[]): ChildProcess {
  return startCommand(process.execPath, args);
}

/** Starts any program (HAProxy, Envoy, iperf3); its stderr goes to the bench's unless `quiet`. */
export function startCommand(command: string, args: string[], quiet = false): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves once something accepts connections on 127.0.0.1:port. */
export async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.unref();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
    if (up) return;
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited during startup`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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

/** A port free to bind (nothing listens there): the tests' helper. */
export { closedPort as freePort } from '@nodevoy/test-kit';

/** A process and its descendants (nodevoy's workers are children of its primary). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone already
  }
  return [pid, ...children.flatMap(processTree)];
}

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** utime + stime of a process and its descendants, in microseconds. */
export function cpuMicros(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone already
    }
  }
  return (ticks / 100) * 1e6;
}

/** Peak resident set of a process and its descendants, in MiB. */
export function peakRssMiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statusKiB(p, 'VmHWM'), 0) / 1024;
}

export async function adminGet(admin: string, path: string): Promise<Response | undefined> {
  try {
    return await fetch(`http://${admin}${path}`);
  } catch {
    return undefined;
  }
}

/** An Envoy-like proxy (nodevoy, or Envoy itself) that is up, with the ports its TCP listeners took. */
export interface AdminProxy {
  readonly child: ChildProcess;
  readonly ports: Map<string, number>;
  readonly admin: string;
}

/** Runs nodevoy on a config with `workers` workers (default one, as every proxy here); resolves when it is ready. */
export function startNodevoy(config: string, workers = 1): Promise<AdminProxy> {
  return startAdminProxy('nodevoy', config, (configPath, adminPath) =>
    startProcess([NODEVOY, '-c', configPath, '--admin-address-path', adminPath, '--drain-time-s', '0', '-l', 'warning', '--concurrency', String(workers)]),
  );
}

/** Runs Envoy (`envoy` on PATH) with one worker on a config; resolves when it is ready. */
export function startEnvoy(config: string): Promise<AdminProxy> {
  return startAdminProxy('envoy', config, (configPath, adminPath) =>
    startCommand('envoy', ['-c', configPath, '--admin-address-path', adminPath, '--concurrency', '1', '--disable-hot-restart', '-l', 'warning'], true),
  );
}

async function startAdminProxy(name: string, config: string, start: (configPath: string, adminPath: string) => ChildProcess): Promise<AdminProxy> {
  mkdirSync(WORK, { recursive: true });
  const configPath = `${WORK}${name}.yaml`;
  const adminPath = `${WORK}${name}-admin.txt`;
  writeFileSync(configPath, config);
  writeFileSync(adminPath, '');
  const child = start(configPath, adminPath);
  for (;;) {
    const admin = existsSync(adminPath) ? readFileSync(adminPath, 'utf8').trim() : '';
    if (admin && (await adminGet(admin, '/ready'))?.status === 200) {
      const listeners = (await (await adminGet(admin, '/listeners?format=json'))?.json()) as {
        listener_statuses?: { name: string; local_address: { socket_address?: { port_value: number } } }[];
      };
      const ports = new Map((listeners.listener_statuses ?? []).flatMap((l) => (l.local_address.socket_address ? [[l.name, l.local_address.socket_address.port_value] as const] : [])));
      return { child, ports, admin };
    }
    if (child.exitCode !== null) throw new Error(`${name} exited during startup`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Current resident set size of a process and its descendants, in MiB. */
export function rssMiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statusKiB(p, 'VmRSS'), 0) / 1024;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** True when `command` runs (`<command> <versionFlag>` exits 0). */
export function commandExists(command: string, versionFlag = '--version'): boolean {
  return spawnSync(command, [versionFlag], { stdio: 'ignore' }).status === 0;
}
