import { Duplex } from 'node:stream';
import type { Address, Connection, ConnectionCallbacks, ConnectionEvent } from '@nodevoy/core';

const EMPTY = Buffer.alloc(0);

/** The error a ConnectionDuplex is destroyed with when its connection goes away abruptly. */
export class ConnectionResetError extends Error {
  readonly code: string;
  constructor(reset: boolean, reason: string) {
    super(reset ? `connection reset: ${reason}` : `connection closed: ${reason}`);
    this.code = reset ? 'ECONNRESET' : 'ECONNCLOSED';
  }
}

/**
 * A nodevoy Connection as a Node.js Duplex, so node:http and node:http2 can speak HTTP over any
 * nodevoy connection: a kernel socket or an in-process internal hop. Flow control maps both
 * ways: a full readable side disables reading on the connection; writes wait while the
 * connection is above its write-buffer high watermark. `end()` is a half-close.
 *
 * A client duplex can exist before its connection does (`attach()` later); writes wait for it.
 */
export class ConnectionDuplex extends Duplex implements ConnectionCallbacks {
  connection: Connection | undefined;
  /** node:net compatibility: true until the upstream connection is attached. */
  connecting: boolean;
  private readDisabledByUs = false;
  private eofPushed = false;
  private pendingWrite: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;
  private waitingForDrain: ((error?: Error | null) => void) | undefined;
  private finalWaiting: ((error?: Error | null) => void) | undefined;
  /** node:net's `socket.timeout` (ms; 0 is none), read by node:http's Agent. */
  timeout = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor() {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.connecting = true;
    // The duplex owns its error path from birth: node:http and node:http2 listen only while a
    // request or session holds the socket, and a reset landing between two owners (a pooled
    // connection reset as it is handed over, or after its session went away) would otherwise
    // be an unhandled 'error' that takes the whole process down. The owner of the moment still
    // gets the error; the connection's own events and stats have already recorded it.
    this.on('error', () => {});
  }

  /**
   * Binds the connection. By default the duplex reads it through a read filter of its own (a
   * client connection). A network filter that already reads the connection (the HTTP
   * connection manager) passes `fedByFilter` and hands bytes over with `feed()`.
   */
  attach(connection: Connection, options: { fedByFilter?: boolean } = {}): void {
    this.connection = connection;
    this.connecting = false;
    connection.enableHalfClose(true);
    connection.addConnectionCallbacks(this);
    if (!options.fedByFilter) {
      connection.addReadFilter({
        onData: (data, endStream) => {
          this.feed(data, endStream);
          return 'stop';
        },
      });
      connection.initializeReadFilters();
    }
    this.emit('connect');
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    if (pending) this._write(pending.chunk, 'binary', pending.callback);
    const final = this.finalWaiting;
    this.finalWaiting = undefined;
    if (final) this._final(final);
  }

  get remoteAddress(): string | undefined {
    return ipOf(this.connection?.remoteAddress);
  }

  get localAddress(): string | undefined {
    return ipOf(this.connection?.localAddress);
  }

  get remotePort(): number | undefined {
    const address = this.connection?.remoteAddress;
    return address?.kind === 'socket' ? address.port : undefined;
  }

  /**
   * node:net's inactivity timeout: 'timeout' is emitted after `ms` without a byte read or
   * written (an Agent closes idle pooled connections with it). 0 turns it off and, as in
   * node:net, takes `callback` off again (node:http does so after every request).
   */
  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback && ms === 0) this.removeListener('timeout', callback);
    else if (callback) this.once('timeout', callback);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.touch();
    return this;
  }

  /** node:net's `destroySoon`: node:http ends a `connection: close` exchange with it (a local close). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // node:net compatibility for node:http's use of sockets; nodevoy owns these concerns.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  override _read(): void {
    if (this.readDisabledByUs && this.connection) {
      this.readDisabledByUs = false;
      this.connection.readDisable(false);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const connection = this.connection;
    if (!connection) {
      this.pendingWrite = { chunk, callback };
      return;
    }
    if (connection.state !== 'Open') {
      callback(new ConnectionResetError(false, 'write after close'));
      return;
    }
    connection.write(chunk, false);
    this.touch();
    if (connection.isAboveHighWatermark) this.waitingForDrain = callback;
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.connection) {
      this.finalWaiting = callback;
      return;
    }
    this.connection.write(EMPTY, true);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const connection = this.connection;
    if (connection && connection.state === 'Open') {
      connection.removeConnectionCallbacks(this);
      connection.close(error ? 'AbortReset' : 'FlushWrite', error ? error.message : 'stream destroyed');
    }
    this.releaseWriter(error ?? null);
    clearTimeout(this.idleTimer);
    callback(error);
  }

  // ConnectionCallbacks

  onEvent(event: ConnectionEvent): void {
    if (event === 'Connected') return;
    const connection = this.connection;
    const reset = connection?.detectedCloseType === 'RemoteReset' || connection?.detectedCloseType === 'LocalReset';
    const error = reset || !this.eofPushed ? new ConnectionResetError(reset, connection?.closeReason || event) : null;
    this.releaseWriter(error);
    this.destroy(error ?? undefined);
  }

  onAboveWriteBufferHighWatermark(): void {}

  onBelowWriteBufferLowWatermark(): void {
    this.releaseWriter(null);
  }

  /** Bytes read from the connection, in order; `endStream` is the peer's FIN. */
  feed(data: Buffer, endStream: boolean): void {
    this.touch();
    if (data.length > 0 && !this.push(data) && !this.readDisabledByUs && this.connection) {
      this.readDisabledByUs = true;
      this.connection.readDisable(true);
    }
    if (endStream) {
      this.eofPushed = true;
      this.push(null);
    }
  }

  /** Activity: the inactivity clock starts over (a timer refresh, cheap on the data path). */
  private touch(): void {
    if (this.timeout <= 0 || this.destroyed) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.timeout);
      this.idleTimer.unref();
    }
  }

  private releaseWriter(error: Error | null): void {
    const callback = this.waitingForDrain;
    this.waitingForDrain = undefined;
    callback?.(error);
  }
}

function ipOf(address: Address | undefined): string | undefined {
  if (!address) return undefined;
  return address.kind === 'socket' ? address.ip : address.asString;
}
