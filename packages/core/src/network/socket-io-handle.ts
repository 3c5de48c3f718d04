import type { Socket } from 'node:net';
import { socketAddress, type Address } from './address.js';
import { NOOP_IO_CALLBACKS, type IoCloseMode, type IoHandle, type IoHandleCallbacks, type ReleasedSocket } from './io-handle.js';

/**
 * A socket (a kernel TCP socket, or a TLS socket over one) as an IoHandle. The socket must be
 * created with `allowHalfOpen: true` so that a FIN from the peer is a half-close, not a close.
 */
export class SocketIoHandle implements IoHandle {
  readonly kind: string = 'socket';
  private callbacks: IoHandleCallbacks = NOOP_IO_CALLBACKS;
  private listening = false;
  /** Bytes were put back (`unread`) while the socket was paused for it: resume on the next owner. */
  private resumeOnAttach = false;
  private drainThreshold = 0;
  private watchingDrain = false;
  private locallyClosed = false;
  private flushClosing = false;
  private ended = false;
  private resetSeen = false;
  protected errorCode: string | undefined;
  private local: Address;
  private remote: Address;
  // Bound once so a write callback costs no closure per write.
  private readonly afterWrite = (): void => this.checkDrained();
  /** This loop turn's writes are held to go out together (one writev) after its I/O phase. */
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    protected readonly socket: Socket,
    addresses: { local?: Address; remote: Address },
    /** Client sockets: where `connect()` goes. Accepted sockets are already connected. */
    protected readonly connectTo?: { host: string; port: number },
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

  /** Listener filters may own the callbacks first and the connection after them: events go to whoever owns them now. */
  setCallbacks(callbacks: IoHandleCallbacks): void {
    this.callbacks = callbacks;
    if (this.resumeOnAttach) {
      this.resumeOnAttach = false;
      this.socket.resume();
    }
    if (this.listening) return;
    this.listening = true;
    const socket = this.socket;
    socket.on('data', this.listeners.data);
    socket.on('end', this.listeners.end);
    socket.on('error', this.listeners.error);
    socket.on('close', this.listeners.close);
  }

  private readonly listeners = {
    data: (chunk: Buffer) => this.callbacks.onData(chunk),
    end: () => this.callbacks.onEndOfStream(),
    error: (err: NodeJS.ErrnoException) => this.onSocketError(err),
    close: () => this.onSocketClose(),
  };

  unread(data: Buffer): void {
    // Paused first: in flowing mode the bytes would be emitted again at once, to the peeker.
    this.socket.pause();
    this.socket.unshift(data);
    this.resumeOnAttach = true;
  }

  releaseSocket(): ReleasedSocket {
    if (this.listening) {
      // A listener filter peeked through this handle: its owner changes, its bytes stay unread.
      const socket = this.socket;
      socket.off('data', this.listeners.data).off('end', this.listeners.end).off('error', this.listeners.error).off('close', this.listeners.close);
      this.listening = false;
    }
    // The new owner listens on the layer above; an error surfacing on this object must not be unhandled.
    this.socket.on('error', () => {});
    this.callbacks = NOOP_IO_CALLBACKS;
    return { socket: this.socket, localAddress: this.local, remoteAddress: this.remote, ...(this.connectTo ? { connectTo: this.connectTo } : {}) };
  }

  connect(): void {
    if (!this.connectTo) {
      queueMicrotask(() => this.callbacks.onConnected());
      return;
    }
    this.startConnecting(() => {
      const socket = this.socket;
      if (socket.localAddress !== undefined && socket.localPort !== undefined) {
        this.local = socketAddress(socket.localAddress, socket.localPort);
      }
      this.callbacks.onConnected();
    });
  }

  /** Starts connecting and calls `connected` once the transport is ready to carry data (TCP: on connect). */
  protected startConnecting(connected: () => void): void {
    this.socket.connect(this.connectTo as { host: string; port: number });
    this.socket.once('connect', connected);
  }

  /** What an error says of how the transport ended; a subclass adds what its layer knows. */
  protected onSocketError(err: NodeJS.ErrnoException): void {
    this.errorCode = err.code ?? err.message;
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.resetSeen = true;
  }

  write(chunk: Buffer): void {
    if (this.locallyClosed || this.ended) return;
    // What one loop turn produces for this socket (the TLS records of one read, a response's head
    // and body) goes out in one writev once the turn's I/O is handled. Not on the next tick:
    // node runs ticks after each native callback, between the records of one TLS read.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
    }
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
    // Bytes read from the kernel but never delivered (reading was disabled) are what a kernel
    // socket closed with unread data answers with a reset, as Envoy's do.
    if (mode === 'reset' || (socket.readableLength > 0 && !socket.destroyed)) {
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
