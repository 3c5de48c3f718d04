import type { Address } from './address.js';
import type { HopFailure } from './hop-failure.js';
import type { IoCloseMode, IoHandle, IoHandleCallbacks, ReleasedSocket } from './io-handle.js';
import type { PassthroughState } from './passthrough-state.js';

/**
 * An IoHandle that is another one, for a layer that changes only part of it (restored addresses,
 * a header written first): subclasses override what they change. A kernel socket can still be
 * taken over through it (`releaseSocket`) only where the inner handle allows it.
 */
export class DelegatingIoHandle implements IoHandle {
  readonly releaseSocket?: () => ReleasedSocket;
  readonly unread?: (data: Buffer) => void;

  constructor(protected readonly inner: IoHandle) {
    const release = inner.releaseSocket?.bind(inner);
    if (release) this.releaseSocket = () => this.released(release());
    if (inner.unread) this.unread = inner.unread.bind(inner);
  }

  /** What a subclass changes of a released socket (its addresses). */
  protected released(socket: ReleasedSocket): ReleasedSocket {
    return socket;
  }

  get kind(): string {
    return this.inner.kind;
  }

  get localAddress(): Address {
    return this.inner.localAddress;
  }

  get remoteAddress(): Address {
    return this.inner.remoteAddress;
  }

  get pendingWriteBytes(): number {
    return this.inner.pendingWriteBytes;
  }

  get bufferedReadBytes(): number {
    return this.inner.bufferedReadBytes;
  }

  get inProcess(): boolean | undefined {
    return this.inner.inProcess;
  }

  get heldBytes(): number | undefined {
    return this.inner.heldBytes;
  }

  get passthroughState(): PassthroughState | undefined {
    return this.inner.passthroughState;
  }

  get peerFailure(): HopFailure | undefined {
    return this.inner.peerFailure;
  }

  reportFailure(failure: HopFailure): void {
    this.inner.reportFailure?.(failure);
  }

  setCallbacks(callbacks: IoHandleCallbacks): void {
    this.inner.setCallbacks(callbacks);
  }

  connect(): void {
    this.inner.connect();
  }

  write(chunk: Buffer): void {
    this.inner.write(chunk);
  }

  shutdownWrite(): void {
    this.inner.shutdownWrite();
  }

  close(mode: IoCloseMode): void {
    this.inner.close(mode);
  }

  setReadEnabled(enabled: boolean): void {
    this.inner.setReadEnabled(enabled);
  }

  setDrainThreshold(bytes: number): void {
    this.inner.setDrainThreshold(bytes);
  }
}
