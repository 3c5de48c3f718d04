import type { Address } from './address.js';
import type { IoHandle, IoHandleCallbacks } from './io-handle.js';

/**
 * A transport that never connects: `connect()` reports failure on the next microtask. Used
 * where Envoy hands back a client connection that fails at once (no factory for the address
 * kind, no internal listener of that name), so callers keep one failure path.
 */
export class FailedIoHandle implements IoHandle {
  readonly kind = 'failed';
  readonly pendingWriteBytes = 0;
  readonly bufferedReadBytes = 0;
  private callbacks: IoHandleCallbacks | undefined;
  private closed = false;

  constructor(
    readonly localAddress: Address,
    readonly remoteAddress: Address,
    private readonly reason: string,
  ) {}

  setCallbacks(callbacks: IoHandleCallbacks): void {
    this.callbacks = callbacks;
  }

  connect(): void {
    queueMicrotask(() => {
      if (this.closed) return;
      this.closed = true;
      this.callbacks?.onClosed({ reset: false, reason: this.reason });
    });
  }

  write(): void {}
  shutdownWrite(): void {}
  setReadEnabled(): void {}
  setDrainThreshold(): void {}

  close(): void {
    this.closed = true;
  }
}
