import type { IoHandle } from '../network/io-handle.js';
import { ServiceKey } from '../server/services.js';
import type { WorkerContext } from '../server/worker.js';

/** An internal listener as the registry sees it: a name and a way to accept an in-process socket. */
export interface InternalListenerHandle {
  /** The registry key: the listener name (or, in the seed's legacy form, `server_listener_name`). */
  readonly name: string;
  /**
   * Accepts the server end of an in-process pair synchronously, as Envoy does inside
   * `createClientConnection`: listener filters, filter-chain match and network filters all run
   * before this returns. If no chain matches, the handle is closed and the client's connect fails.
   */
  acceptInternal(io: IoHandle): void;
}

/**
 * The per-worker registry of internal listeners. Core declares it; the bootstrap extension
 * `envoy.bootstrap.internal_listener` provides it (under `INTERNAL_LISTENER_REGISTRY`), and
 * core refuses internal listeners when no one does.
 */
export interface InternalListenerRegistry {
  register(worker: WorkerContext, listener: InternalListenerHandle): void;
  unregister(worker: WorkerContext, listener: InternalListenerHandle): void;
  find(worker: WorkerContext, name: string): InternalListenerHandle | undefined;
}

export const INTERNAL_LISTENER_REGISTRY = new ServiceKey<InternalListenerRegistry>('internal listener registry');
