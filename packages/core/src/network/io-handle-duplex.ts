import { Duplex } from 'node:stream';
import type { IoHandle, IoHandleCallbacks, TransportClosed } from './io-handle.js';

/** The error an IoHandleDuplex is destroyed with when its transport goes away under it. */
export class TransportClosedError extends Error {
  readonly code: string;
  constructor(closed: TransportClosed) {
    super(closed.reset ? `transport reset: ${closed.reason}` : `transport closed: ${closed.reason}`);
    this.code = closed.reset ? 'ECONNRESET' : 'ECONNCLOSED';
  }
}

/**
 * An IoHandle as a Node.js Duplex, for a layer that speaks streams (node:tls) over a transport
 * that is not a kernel socket (one end of an internal listener's in-process pair). Flow maps both
 * ways: a full readable side disables reading; a write waits while the handle holds more than its
 * drain threshold. `end()` is a half-close. `connect()` starts a client handle; `'connect'` is
 * emitted once it is.
 */
export class IoHandleDuplex extends Duplex implements IoHandleCallbacks {
  private waitingForDrain: ((error?: Error | null) => void) | undefined;
  private readDisabled = false;

  constructor(private readonly io: IoHandle) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    // Owned from birth: the layer above listens while it lives, and an error between owners
    // must not be unhandled.
    this.on('error', () => {});
    io.setDrainThreshold(64 * 1024);
    io.setCallbacks(this);
  }

  connect(): void {
    this.io.connect();
  }

  onConnected(): void {
    this.emit('connect');
  }

  onData(chunk: Buffer): void {
    if (!this.push(chunk) && !this.readDisabled) {
      this.readDisabled = true;
      this.io.setReadEnabled(false);
    }
  }

  onEndOfStream(): void {
    this.push(null);
  }

  onWriteDrained(): void {
    const callback = this.waitingForDrain;
    this.waitingForDrain = undefined;
    callback?.();
  }

  onClosed(closed: TransportClosed): void {
    if (closed.reason === 'flushed') return;
    this.destroy(new TransportClosedError(closed));
  }

  override _read(): void {
    if (!this.readDisabled) return;
    this.readDisabled = false;
    this.io.setReadEnabled(true);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.io.write(chunk);
    if (this.io.pendingWriteBytes > 0 && this.io.pendingWriteBytes > this.writableHighWaterMark) this.waitingForDrain = callback;
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.io.shutdownWrite();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.io.close(error && !(error instanceof TransportClosedError) ? 'reset' : 'flush');
    const waiting = this.waitingForDrain;
    this.waitingForDrain = undefined;
    waiting?.(error);
    callback(error);
  }
}
