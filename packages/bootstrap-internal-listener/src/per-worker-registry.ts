import type { InternalListenerHandle, InternalListenerRegistry, WorkerContext } from '@nodevoy/core';

/**
 * Internal listeners by name, one map per worker (Envoy's thread-local registry): a
 * connection only ever reaches listeners on its own worker. Registering a name again replaces
 * the entry, as Envoy's `insert_or_assign`; unregistering removes it only if it still belongs
 * to that listener.
 */
export class PerWorkerInternalListenerRegistry implements InternalListenerRegistry {
  private readonly workers = new Map<number, Map<string, InternalListenerHandle>>();

  register(worker: WorkerContext, listener: InternalListenerHandle): void {
    let byName = this.workers.get(worker.index);
    if (!byName) this.workers.set(worker.index, (byName = new Map()));
    byName.set(listener.name, listener);
  }

  unregister(worker: WorkerContext, listener: InternalListenerHandle): void {
    const byName = this.workers.get(worker.index);
    if (byName?.get(listener.name) === listener) byName.delete(listener.name);
  }

  find(worker: WorkerContext, name: string): InternalListenerHandle | undefined {
    return this.workers.get(worker.index)?.get(name);
  }

  clear(): void {
    this.workers.clear();
  }
}
