import { DelegatingIoHandle, NOOP_IO_CALLBACKS, type IoHandle, type IoHandleCallbacks, type ReleasedSocket } from '@nodevoy/core';

/**
 * A client transport that sends a header first, as soon as it is connected, then is its inner
 * transport. What is written before (a TLS ClientHello, sent while connecting) waits behind the
 * header. It never hands its socket up: a TLS socket above it speaks through it.
 */
export class ProxyProtocolIoHandle extends DelegatingIoHandle {
  override readonly releaseSocket?: () => ReleasedSocket = undefined;
  private owner: IoHandleCallbacks = NOOP_IO_CALLBACKS;
  private waiting: Buffer[] | undefined = [];
  private endWaiting = false;

  constructor(
    inner: IoHandle,
    /** The header, made once connected (when the connection's own addresses are known). */
    header: (connection: IoHandle) => Buffer,
  ) {
    super(inner);
    inner.setCallbacks({
      onConnected: () => {
        inner.write(header(inner));
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

  override get kind(): string {
    return 'proxy_protocol';
  }

  override setCallbacks(callbacks: IoHandleCallbacks): void {
    this.owner = callbacks;
  }

  override write(chunk: Buffer): void {
    if (this.waiting) this.waiting.push(chunk);
    else this.inner.write(chunk);
  }

  override shutdownWrite(): void {
    if (this.waiting) this.endWaiting = true;
    else this.inner.shutdownWrite();
  }
}
