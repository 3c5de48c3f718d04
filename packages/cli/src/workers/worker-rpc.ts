import type { Worker } from 'node:cluster';
import type { AdminResponse, StatsSnapshot } from '@nodevoy/core';
import type { FromWorker, ToWorker } from './messages.js';

/** Requests from the primary to its workers over IPC, each answered by id. */
export class WorkerRpc {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (message: FromWorker) => void; reject: (err: Error) => void; worker: Worker }>();

  /** Hears `worker`'s answers (every worker the primary forks, replacements too). */
  track(worker: Worker): void {
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'ready') return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiting?.resolve(message);
    });
    // A worker that is gone answers nothing: fail what waits on it.
    worker.on('exit', () => {
      for (const [id, waiting] of this.pending) {
        if (waiting.worker !== worker) continue;
        this.pending.delete(id);
        waiting.reject(new Error(`worker ${worker.id} exited`));
      }
    });
  }

  async admin(worker: Worker, request: { method: string; path: string; query: string }, otherStats?: StatsSnapshot[]): Promise<AdminResponse> {
    const reply = await this.ask(worker, (id) => ({ kind: 'admin', id, ...request, ...(otherStats ? { otherStats } : {}) }));
    if (reply.kind !== 'admin') throw new Error(`worker ${worker.id} answered ${reply.kind} to an admin request`);
    return reply.response;
  }

  async stats(worker: Worker): Promise<StatsSnapshot> {
    const reply = await this.ask(worker, (id) => ({ kind: 'stats', id }));
    if (reply.kind !== 'stats') throw new Error(`worker ${worker.id} answered ${reply.kind} to a stats request`);
    return reply.snapshot;
  }

  private ask(worker: Worker, message: (id: number) => ToWorker): Promise<FromWorker> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      if (!worker.isConnected() || worker.isDead()) {
        reject(new Error(`worker ${worker.id} is not running`));
        return;
      }
      this.pending.set(id, { resolve, reject, worker });
      worker.send(message(id));
    });
  }
}
