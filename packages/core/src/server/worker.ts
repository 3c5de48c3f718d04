/**
 * A worker: the unit that owns listeners and connections (Envoy's worker thread). A
 * connection and every internal hop it takes stay on the worker that accepted it.
 */
export interface WorkerContext {
  readonly index: number;
  /** `worker_<index>`, as in Envoy's per-worker stat names. */
  readonly name: string;
}

export function workerContext(index: number): WorkerContext {
  return { index, name: `worker_${index}` };
}
