import type { BufferAccount } from '../overload/buffer-account.js';

/**
 * A worker: the unit that owns listeners and connections (Envoy's worker thread). A
 * connection and every internal hop it takes stay on the worker that accepted it.
 */
export interface WorkerContext {
  readonly index: number;
  /** `worker_<index>`, as in Envoy's per-worker stat names. */
  readonly name: string;
  /** Where its connections count the bytes they hold, when the overload manager watches them. */
  readonly bufferAccount?: BufferAccount;
}

export function workerContext(index: number, bufferAccount?: BufferAccount): WorkerContext {
  return { index, name: `worker_${index}`, ...(bufferAccount ? { bufferAccount } : {}) };
}
