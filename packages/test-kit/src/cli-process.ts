import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminClient } from './admin-client.js';
import { NODEVOY_BIN } from './cli-bin.js';
import { scratchDir, type TestLike } from './test-like.js';
import { waitFor } from './wait.js';

export interface RunningNodevoy {
  readonly child: ChildProcess;
  readonly admin: AdminClient;
  readonly dir: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Sends a signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const ADMIN_OVERLAY = '{admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}}';

export interface StartOptions {
  /** Extra flags after `-c <config>`. */
  readonly args?: readonly string[];
  /** Files to put next to the config. */
  readonly files?: Record<string, string>;
  /** Adds an admin listener on a free port with --config-yaml (for configs that have none). */
  readonly addAdmin?: boolean;
  /**
   * The process's working directory; `--extension <package>` is resolved from the config's
   * directory, then from here. Default: the test's own (a package resolves itself by name there).
   */
  readonly cwd?: string;
}

/**
 * Tests run one worker (as the conformance suite runs Envoy with `--concurrency 1`): which worker
 * takes a connection is the kernel's choice, and stats or pooling assertions must not depend on it.
 */
function oneWorkerUnlessAsked(args: readonly string[]): string[] {
  return args.includes('--concurrency') ? [...args] : [...args, '--concurrency', '1'];
}

/**
 * Runs the real CLI on a config file in a child process and resolves once it is ready (its admin
 * address published and `/ready` LIVE: an event, not a sleep). Teardown kills it if the test did
 * not stop it.
 */
export async function startNodevoy(t: TestLike, configYaml: string, options: StartOptions = {}): Promise<RunningNodevoy> {
  const dir = scratchDir(t, { 'config.yaml': configYaml, ...(options.files ?? {}) });
  const adminPath = join(dir, 'admin-address.txt');
  const args = [
    NODEVOY_BIN,
    '-c',
    join(dir, 'config.yaml'),
    '--admin-address-path',
    adminPath,
    '--drain-time-s',
    '5',
    ...(options.addAdmin ? ['--config-yaml', ADMIN_OVERLAY] : []),
    ...oneWorkerUnlessAsked(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout?.resume();
  const gaveUp = new AbortController();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => {
      gaveUp.abort();
      reject(new Error(`nodevoy exited with ${code} before it was ready:\n${stderr}`));
    }),
  );
  exited.catch(() => {}); // after readiness, an exit is the test's business, not an error here
  // Ready is what a deployment checks: the admin address is published and /ready says LIVE.
  const live = waitForLive(adminPath, gaveUp.signal);
  live.catch(() => {}); // lost the race to `exited`
  const admin = await Promise.race([live, exited]);
  return {
    child,
    admin,
    dir,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function waitForLive(adminPath: string, signal: AbortSignal): Promise<AdminClient> {
  const address = await waitFor(() => (existsSync(adminPath) ? readFileSync(adminPath, 'utf8').trim() || undefined : undefined), 10_000, signal);
  const admin = new AdminClient(address);
  // An admin that does not answer yet (or any more, as the process exits) is not ready.
  await waitFor(async () => ((await admin.get('/ready').catch(() => undefined))?.status === 200 ? true : undefined), 10_000, signal);
  return admin;
}

/** Runs the CLI to completion (validate mode, bad configs, --version). */
export async function runNodevoy(args: readonly string[], options: { cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [NODEVOY_BIN, ...oneWorkerUnlessAsked(args)], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Writes a config into a test dir and returns its path. */
export function writeConfig(t: TestLike, yaml: string, name = 'config.yaml'): string {
  const dir = scratchDir(t);
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}
