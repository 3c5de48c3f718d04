import type { Connection } from './connection.js';

/** What a filter tells the chain after handling an event: go on to the next filter, or stop. */
export type FilterStatus = 'continue' | 'stop';

/** Handed to a read filter once, before `onNewConnection`. */
export interface ReadFilterCallbacks {
  readonly connection: Connection;
  /**
   * Resumes a chain that a filter stopped in `onNewConnection`: the remaining filters are
   * initialized and any bytes that arrived meanwhile are delivered to them.
   */
  continueReading(): void;
  /** Passes data to the filters after this one, as if it had just been read. */
  injectReadDataToFilterChain(data: Buffer, endStream: boolean): void;
}

/** Handed to a write filter once. */
export interface WriteFilterCallbacks {
  readonly connection: Connection;
  /** Passes data to the write filters after this one and then to the transport. */
  injectWriteDataToFilterChain(data: Buffer, endStream: boolean): void;
}

/**
 * A network read filter (Envoy's `Network::ReadFilter`). A filter that returns `stop` from
 * `onData` owns that chunk: the filters after it do not see it. Filters never throw across
 * this boundary; if one does, the connection is closed with the error as its reason.
 */
export interface ReadFilter {
  initializeReadFilterCallbacks?(callbacks: ReadFilterCallbacks): void;
  onNewConnection?(): FilterStatus;
  onData(data: Buffer, endStream: boolean): FilterStatus;
}

/** A network write filter (Envoy's `Network::WriteFilter`); write filters run in reverse order. */
export interface WriteFilter {
  initializeWriteFilterCallbacks?(callbacks: WriteFilterCallbacks): void;
  onWrite(data: Buffer, endStream: boolean): FilterStatus;
}

/** A filter that sees both directions. */
export type Filter = ReadFilter & WriteFilter;

/** Where filter factories add filters to a new connection. */
export interface FilterManager {
  readonly connection: Connection;
  addReadFilter(filter: ReadFilter): void;
  addWriteFilter(filter: WriteFilter): void;
  addFilter(filter: Filter): void;
}
