import {
  Category,
  extensionPackage,
  schema,
  type Connection,
  type ConnectionEvent,
  type FilterManager,
  type NetworkFilterFactory,
  type NodevoyExtension,
} from '@nodevoy/core';

const RECORDER_TYPE_URL = 'type.googleapis.com/nodevoy.test_kit.v1.Recorder';

/** The filter-chain entry that ends a harness's chain, after the filter under test. */
export const RECORDER_FILTER = { name: 'nodevoy.test_kit.recorder', typed_config: { '@type': RECORDER_TYPE_URL } } as const;

/**
 * One connection as the end of the chain saw it: every byte and end-of-stream that passed the
 * filter under test, its close, its watermarks; and a handle to write back through the filter.
 */
export interface RecordedConnection {
  readonly connection: Connection;
  readonly chunks: readonly Buffer[];
  readonly receivedBytes: number;
  /** End-of-stream reached the end of the chain. */
  readonly ended: boolean;
  /** Data arrived after end-of-stream: a filter broke the order. */
  readonly dataAfterEnd: boolean;
  readonly closed: ConnectionEvent | undefined;
  readonly highWatermarks: number;
  readonly lowWatermarks: number;
  /** Everything received so far, as one buffer. */
  readonly received: Buffer;
  write(data: Buffer | string, endStream?: boolean): void;
  /**
   * Writes `total` bytes of `patternBytes` as a well-behaved terminal filter does: it stops at the
   * write buffer's high watermark and goes on below the low one. Resolves with what it wrote.
   */
  writeRespectingWatermarks(total: number, chunkSize?: number): Promise<Buffer>;
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Its state in one line, for failure messages. */
  describe(): string;
}

class ConnectionRecording implements RecordedConnection {
  readonly chunks: Buffer[] = [];
  receivedBytes = 0;
  ended = false;
  dataAfterEnd = false;
  closed: ConnectionEvent | undefined;
  highWatermarks = 0;
  lowWatermarks = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly connection: Connection,
    private readonly waitMs: number,
  ) {}

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  write(data: Buffer | string, endStream = false): void {
    this.connection.write(typeof data === 'string' ? Buffer.from(data) : data, endStream);
  }

  async writeRespectingWatermarks(total: number, chunkSize = 64 * 1024): Promise<Buffer> {
    const written: Buffer[] = [];
    let left = total;
    while (left > 0 && this.closed === undefined) {
      if (this.connection.isAboveHighWatermark) {
        const lows = this.lowWatermarks;
        await this.until(() => this.lowWatermarks > lows || this.closed !== undefined, 'the write buffer to drain');
        continue;
      }
      const chunk = patternBytes(Math.min(chunkSize, left), total - left);
      written.push(chunk);
      left -= chunk.length;
      this.write(chunk);
    }
    return Buffer.concat(written);
  }

  until(condition: () => boolean, what: string, timeoutMs = this.waitMs): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what} (${this.describe()})`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  describe(): string {
    return `received ${this.receivedBytes} bytes, ended: ${this.ended}, closed: ${this.closed ?? 'no'}, high watermarks: ${this.highWatermarks}`;
  }

  /** Wakes the waiters whose condition now holds; the recorder calls it after every event. */
  notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** Deterministic bytes, so a test can tell a reordered or lost chunk from the right one. */
export function patternBytes(length: number, offset = 0): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = ((offset + i) * 31 + ((offset + i) >>> 8)) & 0xff;
  return out;
}

/**
 * The terminal network filter of a harness (`nodevoy.test_kit.recorder`): records what reaches
 * it and lets the test answer. Half-close is enabled, as tcp_proxy enables it, so each direction
 * ends on its own. One recorder per server: its connections are that server's.
 */
export class Recorder {
  private readonly recordings: ConnectionRecording[] = [];

  /** `waitMs`: how long `until` waits by default before it fails. */
  constructor(private readonly waitMs = 10_000) {}

  /** Called for each new connection before any byte reaches it (to read-disable it, say). */
  onConnection: ((recorded: RecordedConnection) => void) | undefined;
  private readonly waiters = new Map<number, (recorded: RecordedConnection) => void>();

  get connections(): readonly RecordedConnection[] {
    return this.recordings;
  }

  readonly extension: NodevoyExtension = {
    ...extensionPackage(import.meta.url),
    register: (registry) => registry.add(this.factory()),
  };

  /** Resolves with the n-th connection (0-based) once the chain reached the recorder. */
  connection(n: number): Promise<RecordedConnection> {
    const existing = this.recordings[n];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => this.waiters.set(n, resolve));
  }

  private factory(): NetworkFilterFactory {
    return {
      name: RECORDER_FILTER.name,
      category: Category.networkFilter,
      typeUrls: [RECORDER_TYPE_URL],
      configSchema: schema.empty('nodevoy.test_kit.v1.Recorder'),
      isTerminalFilter: true,
      createFilterFactory: () => (filterManager) => this.attach(filterManager.connection, filterManager),
    };
  }

  private attach(connection: Connection, filterManager: FilterManager): void {
    const recorded = new ConnectionRecording(connection, this.waitMs);
    connection.enableHalfClose(true);
    connection.addConnectionCallbacks({
      onEvent(event) {
        if (event === 'Connected') return;
        recorded.closed = event;
        recorded.notify();
      },
      onAboveWriteBufferHighWatermark() {
        recorded.highWatermarks++;
        recorded.notify();
      },
      onBelowWriteBufferLowWatermark() {
        recorded.lowWatermarks++;
        recorded.notify();
      },
    });
    filterManager.addReadFilter({
      onNewConnection: () => {
        this.recordings.push(recorded);
        this.onConnection?.(recorded);
        this.waiters.get(this.recordings.length - 1)?.(recorded);
        return 'continue';
      },
      onData(data, endStream) {
        if (recorded.ended && data.length > 0) recorded.dataAfterEnd = true;
        if (data.length > 0) {
          recorded.chunks.push(Buffer.from(data));
          recorded.receivedBytes += data.length;
        }
        if (endStream) recorded.ended = true;
        recorded.notify();
        return 'stop';
      },
    });
  }
}
