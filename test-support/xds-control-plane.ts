import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './paths.js';

/**
 * The go-control-plane test server of the repository at `repoRoot` (the bench, bundled elsewhere,
 * names its root): why it cannot run here (undefined when it can: built, with Go, if need be),
 * and how to start one.
 */
export function xdsControlPlane(repoRoot: string): { unavailable(): string | undefined; start(t: Teardown, grpcPort?: number): Promise<ControlPlane> } {
  const sourceDir = join(repoRoot, 'test-support', 'xds-control-plane');
  const binary = join(repoRoot, 'node_modules', '.cache', 'nodevoy-test-peers', 'xds-control-plane');
  return {
    unavailable: () => {
      const newestSource = Math.max(...['main.go', 'go.mod', 'go.sum'].map((file) => statSync(join(sourceDir, file)).mtimeMs));
      if (existsSync(binary) && statSync(binary).mtimeMs >= newestSource) return undefined;
      if (spawnSync('go', ['version']).status !== 0) {
        return 'needs Go (https://go.dev/dl/) to build the go-control-plane test server in test-support/xds-control-plane';
      }
      try {
        build(sourceDir, binary);
      } catch (err) {
        return `building the go-control-plane test server failed: ${err instanceof Error ? err.message : String(err)}`;
      }
      return undefined;
    },
    start: (t, grpcPort = 0) => start(binary, t, grpcPort),
  };
}

const repository = xdsControlPlane(REPO_ROOT);

/** Why the go-control-plane tests cannot run here, or undefined when they can. */
export const controlPlaneUnavailable = (): string | undefined => repository.unavailable();

/** Starts the control plane (on `grpcPort`, else any port); stopped at teardown. */
export const startControlPlane = (t: Teardown, grpcPort = 0): Promise<ControlPlane> => repository.start(t, grpcPort);

interface Teardown {
  teardown(fn: () => unknown): void;
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

async function start(binary: string, t: Teardown, grpcPort: number): Promise<ControlPlane> {
  const child = spawn(binary, ['-grpc-port', String(grpcPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  t.teardown(() => stop(child));
  const ports = await new Promise<{ grpc_port: number; http_port: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve(JSON.parse(line) as { grpc_port: number; http_port: number }));
    child.once('exit', (code) => reject(new Error(`control plane exited (${code}): ${stderr.join('')}`)));
  });
  const call = (method: string, path: string, body?: string) => httpCall(ports.http_port, method, path, body);
  const requests = async (): Promise<RequestFact[]> => (JSON.parse((await call('GET', '/requests')).body) as RequestFact[] | null) ?? [];
  return {
    grpcPort: ports.grpc_port,
    async setSnapshot(node, version, resources) {
      const response = await call('POST', `/snapshot?node=${encodeURIComponent(node)}`, JSON.stringify({ version, resources }));
      if (response.status !== 204) throw new Error(`snapshot refused: ${response.body}`);
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

/**
 * One request on a connection of its own: a pooled keep-alive connection could outlive a killed
 * control plane and meet the next one on a reused port.
 */
async function httpCall(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const req = request({ host: '127.0.0.1', port, method, path, agent: false });
  req.end(body);
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode ?? 0, body: text };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Builds into a temporary name and renames, so test files building at once never see half a binary. */
function build(sourceDir: string, binary: string): void {
  mkdirSync(join(binary, '..'), { recursive: true });
  const temporary = `${binary}.${process.pid}`;
  execFileSync('go', ['build', '-o', temporary, '.'], { cwd: sourceDir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
  renameSync(temporary, binary);
}
