import cluster, { type Worker } from 'node:cluster';
import type { Logger, StatsSnapshot } from '@nodevoy/core';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV, type FromWorker } from './messages.js';
import { WorkerRpc } from './worker-rpc.js';

/**
 * The primary's workers, one slot per `--concurrency` index. A worker that dies while the server
 * runs is logged, counted (`server.worker_restarts`) and replaced in its slot; the listen
 * sockets stay open meanwhile (the primary holds them for the workers that remain), so the others
 * go on serving. A replacement that cannot start fails the whole server, as a first start does.
 */
export class WorkerPool {
  /** The live worker of each slot (a dead one until its replacement is forked). */
  readonly workers: Worker[] = [];
  readonly rpc = new WorkerRpc();
  /** Workers that said they are ready: only they hear the primary (a starting one would drop it). */
  private readonly ready = new WeakSet<Worker>();
  private restarts = 0;
  private stopping = false;
  private failed = false;
  private readonly exitCodes: (number | undefined)[] = [];
  private finished: (() => void) | undefined;

  constructor(
    private readonly count: number,
    private readonly log: Logger,
  ) {}

  /** Forks every worker; resolves true once all are ready, false if one exited first. */
  async start(): Promise<boolean> {
    const started = Array.from({ length: this.count }, (_, index) => this.fork(index));
    return (await Promise.all(started)).every(Boolean);
  }

  /** The server is stopping (a signal or /quitquitquit): workers that exit now are not replaced. */
  stop(): void {
    this.stopping = true;
  }

  /** Resolves with the exit code once every worker has exited for good. */
  exited(): Promise<number> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.exitCodes.filter((code) => code !== undefined).length < this.count) return;
        resolve(this.failed || this.exitCodes.some((code) => code !== 0) ? 1 : 0);
      };
      this.finished = check;
      check();
    });
  }

  /** The workers that can answer now (a dead one's slot waits for its replacement). */
  running(): Worker[] {
    return this.workers.filter((worker) => this.ready.has(worker) && isRunning(worker));
  }

  /** Every worker is up (none is being replaced). */
  allRunning(): boolean {
    return this.running().length === this.count;
  }

  /** The primary's own counters, merged into `/stats` with the workers'. */
  snapshot(): StatsSnapshot {
    return { counters: [['server.worker_restarts', this.restarts]], gauges: [], histograms: [] };
  }

  /** Forks the worker of `index`; resolves true when it is ready, false if it exits first. */
  private fork(index: number): Promise<boolean> {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index), [WORKER_COUNT_ENV]: String(this.count) });
    this.workers[index] = worker;
    this.exitCodes[index] = undefined;
    this.rpc.track(worker);
    let ready = false;
    return new Promise((resolve) => {
      worker.on('message', (message: FromWorker) => {
        if (message.kind !== 'ready' || ready) return;
        ready = true;
        this.ready.add(worker);
        resolve(true);
      });
      worker.once('exit', (code: number | null, signal: string | null) => {
        if (!ready) {
          this.log.error(`worker ${index} exited (${code ?? signal}) before it was ready`);
          this.fail();
          this.exitCodes[index] = code ?? 1;
          resolve(false);
        } else this.onExit(index, code, signal);
        this.finished?.();
      });
    });
  }

  private onExit(index: number, code: number | null, signal: string | null): void {
    if (this.stopping || this.failed) {
      this.exitCodes[index] = code ?? 1;
      return;
    }
    this.restarts++;
    this.log.error(`worker ${index} exited unexpectedly (${signal ?? `code ${code}`}): starting a new worker ${index}; the others go on serving`);
    void this.fork(index).then((ok) => {
      if (ok) this.log.info(`worker ${index} restarted`);
    });
  }

  /** A worker could not start: the server cannot run as configured, so it stops altogether. */
  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    for (const worker of this.workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
  }
}

/** Up and listening to the primary: not exited, even if its IPC channel has not closed yet. */
export function isRunning(worker: Worker): boolean {
  return worker.isConnected() && !worker.isDead();
}
