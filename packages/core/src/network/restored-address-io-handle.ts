import type { Address } from './address.js';
import type { IoCloseMode, IoHandle, IoHandleCallbacks, ReleasedSocket } from './io-handle.js';

/**
 * A transport whose addresses a listener filter restored (a PROXY protocol header, an original
 * destination): everything else is the transport's own.
 */
export class RestoredAddressIoHandle implements IoHandle {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  /** Only where the transport is a kernel socket a layer above could take over. */
  readonly releaseSocket?: () => ReleasedSocket;

  constructor(
    private readonly inner: IoHandle,
    restored: { readonly local: Address; readonly remote: Address },
  ) {
    this.localAddress = restored.local;
    this.remoteAddress = restored.remote;
    const release = inner.releaseSocket?.bind(inner);
    if (release) this.releaseSocket = () => ({ ...release(), localAddress: this.localAddress, remoteAddress: this.remoteAddress });
  }

  get kind(): string {
    return this.inner.kind;
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

  get passthroughState() {
    return this.inner.passthroughState;
  }

  get peerFailure() {
    return this.inner.peerFailure;
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

  reportFailure(failure: Parameters<NonNullable<IoHandle['reportFailure']>>[0]): void {
    this.inner.reportFailure?.(failure);
  }

  unread(data: Buffer): void {
    this.inner.unread?.(data);
  }
}
