import { ServiceKey } from '@nodevoy/core';

/** Envoy's default `buffer_size_kb`: 1024 KiB per receive buffer. */
export const DEFAULT_BUFFER_SIZE_BYTES = 1024 * 1024;

/** Per-server settings of internal connections, provided by the bootstrap extension. */
export interface InternalConnectionSettings {
  /** High watermark of each end's receive buffer (`buffer_size_kb * 1024`). */
  readonly bufferSizeBytes: number;
}

/**
 * How many internal listeners deep a connection may go (runtime key
 * `nodevoy.internal_listener.max_hops`): past it, opening the next internal connection fails,
 * so a loop of internal hops that a request picks at run time (a `cluster_header` route, say)
 * stops instead of spinning inside the process.
 */
export const MAX_HOPS_RUNTIME_KEY = 'nodevoy.internal_listener.max_hops';
export const DEFAULT_MAX_HOPS = 16;

export const INTERNAL_CONNECTION_SETTINGS = new ServiceKey<InternalConnectionSettings>('internal connection settings');
