import { ServiceKey } from '@nodevoy/core';

/** Envoy's default `buffer_size_kb`: 1024 KiB per receive buffer. */
export const DEFAULT_BUFFER_SIZE_BYTES = 1024 * 1024;

/** Per-server settings of internal connections, provided by the bootstrap extension. */
export interface InternalConnectionSettings {
  /** High watermark of each end's receive buffer (`buffer_size_kb * 1024`). */
  readonly bufferSizeBytes: number;
}

export const INTERNAL_CONNECTION_SETTINGS = new ServiceKey<InternalConnectionSettings>('internal connection settings');
