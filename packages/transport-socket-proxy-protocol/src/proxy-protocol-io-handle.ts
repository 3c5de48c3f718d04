import { NOOP_IO_CALLBACKS, type Address, type HopFailure, type IoCloseMode, type IoHandle, type IoHandleCallbacks } from '@nodevoy/core';

/**
 * A client transport that sends `header` first, as soon as it is connected, then is its inner
 * transport. It never hands its socket up (no `releaseSocket`): a TLS socket above it speaks
 * through it, so the header goes out before the ClientHello.
 */
export class ProxyProtocolIoHandle implements IoHandle {
  readonly kind = 'proxy_protocol';
  private owner: IoHandleCallbacks = NOOP_IO_CALLBACKS;
  /** What was written before the header could be (a TLS ClientHello sent while connecting). */
  private waiting: Buffer[] | undefined = [];
  private endWaiting = false;

  constructor(
    private readonly inner: IoHandle,
    /** The header, made once connected (when the connection's own addresses are known). */
    private readonly header: (connection: IoHandle) => Buffer,
  ) {
    inner.setCallbacks({
      onConnected: () => {
        inner.write(this.header(inner));
        const waiting = this.waiting ?? [];
        this.waiting = undefined;
        for (const chunk of waiting) inner.write(chunk);
        if (this.endWaiting) inner.shutdownWrite();
        this.owner.onConnected();
      },
      onData: (chunk) => this.owner.onData(chunk),
      onEndOfStream: () => this.owner.onEndOfStream(),
      onWriteDrained: () => this.owner.onWriteDrained(),
      onClosed: (closed) => this.owner.onClosed(closed),
    });
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

  get passthroughState() {
    return this.inner.passthroughState;
  }

  get peerFailure(): HopFailure | undefined {
    return this.inner.peerFailure;
  }

  reportFailure(failure: HopFailure): void {
    this.inner.reportFailure?.(failure);
  }

  setCallbacks(callbacks: IoHandleCallbacks): void {
    this.owner = callbacks;
  }

  connect(): void {
    this.inner.connect();
  }

  write(chunk: Buffer): void {
    if (this.waiting) this.waiting.push(chunk);
    else this.inner.write(chunk);
  }

  shutdownWrite(): void {
    if (this.waiting) this.endWaiting = true;
    else this.inner.shutdownWrite();
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
