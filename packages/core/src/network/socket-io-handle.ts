import type { Socket } from 'node:net';
import { socketAddress, type Address } from './address.js';
import { NOOP_IO_CALLBACKS, type IoCloseMode, type IoHandle, type IoHandleCallbacks } from './io-handle.js';

/**
 * A kernel TCP socket as an IoHandle. The socket must be created with `allowHalfOpen: true`
 * so that a FIN from the peer is a half-close, not a close.
 */
export class SocketIoHandle implements IoHandle {
  readonly kind = 'socket';
  private callbacks: IoHandleCallbacks = NOOP_IO_CALLBACKS;
  private drainThreshold = 0;
  private watchingDrain = false;
  private locallyClosed = false;
  private flushClosing = false;
  private ended = false;
  private resetSeen = false;
  private errorCode: string | undefined;
  private local: Address;
  private remote: Address;
  // Bound once so a write callback costs no closure per write.
  private readonly afterWrite = (): void => this.checkDrained();

  constructor(
    private readonly socket: Socket,
    addresses: { local?: Address; remote: Address },
    /** Client sockets: where `connect()` goes. Accepted sockets are already connected. */
    private readonly connectTo?: { host: string; port: number },
  ) {
    this.remote = addresses.remote;
    this.local = addresses.local ?? socketAddress('0.0.0.0', 0);
  }

  get localAddress(): Address {
    return this.local;
  }

  get remoteAddress(): Address {
    return this.remote;
  }

  get pendingWriteBytes(): number {
    return this.socket.writableLength;
  }

  get bufferedReadBytes(): number {
    return this.socket.readableLength;
  }

  setCallbacks(callbacks: IoHandleCallbacks): void {
    this.callbacks = callbacks;
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => this.callbacks.onData(chunk));
    socket.on('end', () => this.callbacks.onEndOfStream());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.errorCode = err.code ?? err.message;
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.resetSeen = true;
    });
    socket.on('close', () => this.onSocketClose());
  }

  connect(): void {
    const socket = this.socket;
    if (!this.connectTo) {
      queueMicrotask(() => this.callbacks.onConnected());
      return;
    }
    socket.connect(this.connectTo);
    socket.once('connect', () => {
      if (socket.localAddress !== undefined && socket.localPort !== undefined) {
        this.local = socketAddress(socket.localAddress, socket.localPort);
      }
      this.callbacks.onConnected();
    });
  }

  write(chunk: Buffer): void {
    if (this.locallyClosed || this.ended) return;
    // Only congested writes carry a callback: the drain check is needed only then.
    if (this.socket.writableLength + chunk.length > this.drainThreshold) {
      this.watchingDrain = true;
      this.socket.write(chunk, this.afterWrite);
    } else {
      this.socket.write(chunk);
    }
  }

  shutdownWrite(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.end();
  }

  close(mode: IoCloseMode): void {
    if (this.locallyClosed) return;
    this.locallyClosed = true;
    const socket = this.socket;
    if (mode === 'reset') {
      socket.resetAndDestroy();
    } else if (mode === 'now' || socket.destroyed) {
      socket.destroy();
    } else {
      // Flush: FIN after the pending bytes, then release the descriptor, as Envoy's FlushWrite.
      this.flushClosing = true;
      if (!this.ended) {
        this.ended = true;
        socket.end();
      }
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    }
  }

  setReadEnabled(enabled: boolean): void {
    if (enabled) this.socket.resume();
    else this.socket.pause();
  }

  setDrainThreshold(bytes: number): void {
    this.drainThreshold = bytes;
  }

  private checkDrained(): void {
    if (this.watchingDrain && this.socket.writableLength <= this.drainThreshold) {
      this.watchingDrain = false;
      this.callbacks.onWriteDrained();
    }
  }

  private onSocketClose(): void {
    if (this.locallyClosed) {
      // A flush-close finishing is the only close a local close() reports.
      if (this.flushClosing) this.callbacks.onClosed({ reset: false, reason: 'flushed' });
      return;
    }
    this.locallyClosed = true;
    this.callbacks.onClosed({ reset: this.resetSeen, reason: this.errorCode ?? 'peer closed' });
  }
}
