import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './paths.js';

const SOURCE_DIR = join(REPO_ROOT, 'test-support', 'xds-control-plane');
const BINARY = join(REPO_ROOT, 'node_modules', '.cache', 'nodevoy-test-peers', 'xds-control-plane');

/** Why the go-control-plane tests cannot run here, or undefined when they can. */
export function controlPlaneUnavailable(): string | undefined {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestSource()) return undefined;
  if (spawnSync('go', ['version']).status !== 0) {
    return 'needs Go (https://go.dev/dl/) to build the go-control-plane test server in test-support/xds-control-plane';
  }
  try {
    buildControlPlane();
  } catch (err) {
    return `building the go-control-plane test server failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

/** One DiscoveryRequest as the control plane saw it. */
export interface RequestFact {
  readonly stream: number;
  readonly delta: boolean;
  readonly type_url: string;
  readonly version_info: string;
  readonly response_nonce: string;
  readonly resource_names: string[] | null;
  readonly error_detail?: string;
  readonly node_id?: string;
  readonly user_agent_name?: string;
  readonly initial_resource_versions?: Record<string, string>;
  readonly resource_names_unsubscribe?: string[];
}

/** A running go-control-plane management server (test-support/xds-control-plane/main.go). */
export interface ControlPlane {
  readonly grpcPort: number;
  /** Makes `resources` (proto3 JSON with `@type`) the snapshot `version` of node `node`. */
  setSnapshot(node: string, version: string, resources: readonly object[]): Promise<void>;
  requests(): Promise<RequestFact[]>;
  /** Waits (a few seconds at most) for a request that satisfies `predicate`. */
  waitForRequest(predicate: (request: RequestFact) => boolean, what: string): Promise<RequestFact>;
  /** Kills the server (as a crash would); `start` again on `grpcPort` brings it back. */
  kill(): Promise<void>;
}

/** Starts the control plane (on `grpcPort`, else any port); stopped at teardown. */
export async function startControlPlane(t: { teardown(fn: () => unknown): void }, grpcPort = 0): Promise<ControlPlane> {
  const child = spawn(BINARY, ['-grpc-port', String(grpcPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  t.teardown(() => stop(child));
  const ports = await new Promise<{ grpc_port: number; http_port: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve(JSON.parse(line) as { grpc_port: number; http_port: number }));
    child.once('exit', (code) => reject(new Error(`control plane exited (${code}): ${stderr.join('')}`)));
  });
  const base = `http://127.0.0.1:${ports.http_port}`;
  const requests = async (): Promise<RequestFact[]> => ((await (await fetch(`${base}/requests`)).json()) as RequestFact[] | null) ?? [];
  return {
    grpcPort: ports.grpc_port,
    async setSnapshot(node, version, resources) {
      const response = await fetch(`${base}/snapshot?node=${encodeURIComponent(node)}`, { method: 'POST', body: JSON.stringify({ version, resources }) });
      if (!response.ok) throw new Error(`snapshot refused: ${await response.text()}`);
    },
    requests,
    async waitForRequest(predicate, what) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = (await requests()).find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`the control plane never saw ${what}; it saw: ${JSON.stringify(await requests())}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    kill: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Builds into a temporary name and renames, so test files building at once never see half a binary. */
function buildControlPlane(): void {
  mkdirSync(join(BINARY, '..'), { recursive: true });
  const temporary = `${BINARY}.${process.pid}`;
  execFileSync('go', ['build', '-o', temporary, '.'], { cwd: SOURCE_DIR, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
  renameSync(temporary, BINARY);
}

function newestSource(): number {
  return Math.max(...['main.go', 'go.mod', 'go.sum'].map((file) => statSync(join(SOURCE_DIR, file)).mtimeMs));
}
