import type { Connection } from './connection.js';
import type { FilterStatus, ReadFilter, ReadFilterCallbacks, WriteFilter, WriteFilterCallbacks } from './filter.js';

interface ReadEntry {
  readonly filter: ReadFilter;
  initialized: boolean;
}

interface HeldRead {
  readonly data: Buffer;
  readonly endStream: boolean;
}

/**
 * The read and write filter chains of one connection, with Envoy's `FilterManagerImpl`
 * iteration: a filter is initialized (`onNewConnection`) the first time the chain reaches it;
 * `stop` from `onNewConnection` leaves the filters after it uninitialized until
 * `continueReading()` or the next read. Bytes that reach a filter that has not yet been
 * initialized, or that paused in initialization, are held (bounded by the connection's
 * buffer limit) and delivered in order when it resumes. A filter that returns `stop` from
 * `onData` owns that chunk. Every call into a filter is guarded: a throwing filter closes its
 * connection with a reason instead of unwinding into the transport.
 */
export class FilterChainState {
  private readonly readFilters: ReadEntry[] = [];
  private readonly writeFilters: WriteFilter[] = [];
  private held: HeldRead[] = [];
  /** Index of the filter the held bytes wait for; -1 when nothing is held. */
  private heldAt = -1;
  private heldBytes = 0;
  private pausedForHeld = false;

  constructor(private readonly connection: Connection) {}

  get hasWriteFilters(): boolean {
    return this.writeFilters.length > 0;
  }

  get pendingReadBytes(): number {
    return this.heldBytes;
  }

  addReadFilter(filter: ReadFilter): void {
    const index = this.readFilters.length;
    this.readFilters.push({ filter, initialized: false });
    const callbacks: ReadFilterCallbacks = {
      connection: this.connection,
      continueReading: () => this.continueReading(),
      injectReadDataToFilterChain: (data, endStream) => this.iterate(index + 1, data, endStream),
    };
    this.guard('initializeReadFilterCallbacks', () => filter.initializeReadFilterCallbacks?.(callbacks));
  }

  addWriteFilter(filter: WriteFilter): void {
    const index = this.writeFilters.length;
    this.writeFilters.push(filter);
    const callbacks: WriteFilterCallbacks = {
      connection: this.connection,
      injectWriteDataToFilterChain: (data, endStream) => {
        if (this.runWriteFiltersFrom(index - 1, data, endStream) === 'continue') {
          this.connection.writeToTransport(data, endStream);
        }
      },
    };
    this.guard('initializeWriteFilterCallbacks', () => filter.initializeWriteFilterCallbacks?.(callbacks));
  }

  /** Initializes filters until one stops. False when the chain has no read filter. */
  initialize(): boolean {
    if (this.readFilters.length === 0) return false;
    this.initializeFrom(0);
    return true;
  }

  continueReading(): void {
    if (this.heldAt < 0) {
      this.initializeFrom(0);
      return;
    }
    const at = this.heldAt;
    const held = this.held;
    this.held = [];
    this.heldAt = -1;
    this.heldBytes = 0;
    for (let i = 0; i < held.length; i++) {
      const read = held[i] as HeldRead;
      if (this.connection.state !== 'Open') return;
      this.iterate(at, read.data, read.endStream);
      if (this.heldAt >= 0) {
        // Paused again: what was behind it keeps waiting, in order.
        for (const rest of held.slice(i + 1)) this.hold(rest.data, rest.endStream);
        return;
      }
    }
    this.resumeReadingIfPaused();
  }

  onRead(data: Buffer, endStream: boolean): void {
    this.iterate(0, data, endStream);
  }

  runWriteFilters(data: Buffer, endStream: boolean): FilterStatus {
    return this.runWriteFiltersFrom(this.writeFilters.length - 1, data, endStream);
  }

  private initializeFrom(from: number): void {
    for (let i = from; i < this.readFilters.length; i++) {
      const entry = this.readFilters[i] as ReadEntry;
      if (entry.initialized) continue;
      if (this.initializeEntry(entry) === 'stop' || this.connection.state !== 'Open') return;
    }
  }

  private initializeEntry(entry: ReadEntry): FilterStatus {
    entry.initialized = true;
    return this.guard('onNewConnection', () => entry.filter.onNewConnection?.() ?? 'continue');
  }

  private iterate(from: number, data: Buffer, endStream: boolean): void {
    const entries = this.readFilters;
    for (let i = from; i < entries.length; i++) {
      if (i === this.heldAt) {
        this.hold(data, endStream);
        return;
      }
      const entry = entries[i] as ReadEntry;
      if (!entry.initialized) {
        const status = this.initializeEntry(entry);
        if (this.connection.state !== 'Open') return;
        if (status === 'stop') {
          this.heldAt = i;
          this.hold(data, endStream);
          return;
        }
      }
      let status: FilterStatus;
      try {
        status = entry.filter.onData(data, endStream);
      } catch (err) {
        this.connection.closeOnFilterError('onData', err);
        return;
      }
      if (status === 'stop' || this.connection.state !== 'Open') return;
    }
  }

  private hold(data: Buffer, endStream: boolean): void {
    this.held.push({ data, endStream });
    this.heldBytes += data.length;
    const limit = this.connection.bufferLimitBytes;
    if (!this.pausedForHeld && limit > 0 && this.heldBytes >= limit) {
      this.pausedForHeld = true;
      this.connection.readDisable(true);
    }
  }

  private resumeReadingIfPaused(): void {
    if (!this.pausedForHeld) return;
    this.pausedForHeld = false;
    this.connection.readDisable(false);
  }

  private runWriteFiltersFrom(from: number, data: Buffer, endStream: boolean): FilterStatus {
    for (let i = from; i >= 0; i--) {
      const filter = this.writeFilters[i] as WriteFilter;
      const status = this.guard('onWrite', () => filter.onWrite(data, endStream));
      if (status === 'stop' || this.connection.state === 'Closed') return 'stop';
    }
    return 'continue';
  }

  private guard<T>(where: string, fn: () => T): T | 'stop' {
    try {
      return fn();
    } catch (err) {
      this.connection.closeOnFilterError(where, err);
      return 'stop';
    }
  }
}
