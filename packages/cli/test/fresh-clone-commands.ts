import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestLike } from '@nodevoy/test-kit';
import { userEnvironment } from '../../../test-support/user-env.js';

/** The text of every fenced code block of a Markdown document whose info string starts with `lang` (any block when undefined). */
export function readmeBlocks(markdown: string, lang?: string): string[] {
  const blocks: string[] = [];
  const fence = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    if (lang === undefined || match[1]?.trim().startsWith(lang)) blocks.push(match[2] ?? '');
  }
  return blocks;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` in `cwd` to its end; a non-zero exit fails with what it printed. */
export async function runCommand(t: TestLike, argv: readonly string[], cwd: string): Promise<CommandResult> {
  const child = spawn(argv[0] as string, argv.slice(1), { cwd, env: userEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.teardown(() => killGroup(child.pid));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${argv.join(' ')} exited with ${code}:\n${stdout}\n${stderr}`);
  return { stdout, stderr };
}

/** A command left running (a server), in its own process group so that its children stop with it. */
export interface Background {
  /** Throws with the output if the command has exited: a server that died does not get waited for. */
  exited(): undefined;
  /** SIGTERM to the whole group; resolves once the command is gone. */
  stop(): Promise<void>;
}

export function startCommand(t: TestLike, argv: readonly string[], cwd: string): Background {
  const child = spawn(argv[0] as string, argv.slice(1), { cwd, env: userEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.teardown(() => killGroup(child.pid, 'SIGKILL'));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const closed = once(child, 'close');
  return {
    exited() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${argv.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
      return undefined;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) killGroup(child.pid);
      await closed;
    },
  };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
