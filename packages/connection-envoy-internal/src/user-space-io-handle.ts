import { NOOP_IO_CALLBACKS, type Address, type PassthroughState, type HopFailure, type IoCloseMode, type IoHandle, type IoHandleCallbacks } from '@nodevoy/core';
import { ChunkQueue } from './chunk-queue.js';

/** Envoy's user-space socket moves at most this much past a full buffer per write. */
const FRAGMENT_SIZE = 16384;

/**
 * One end of an in-process socket pair (Envoy's user-space `IoHandleImpl`). Each end owns a
 * receive buffer that its peer writes into, with a high watermark at the configured size and a
 * low one at half: once a receive buffer goes above high, the peer's writes wait in the peer's
 * own pending queue until this end reads down to low. Bytes are passed by reference, delivered
 * on a microtask (so a write never re-enters the reader), and half-close, close and reset reach
 * the peer as they would over TCP.
 */
export class UserSpaceIoHandle implements IoHandle {
  readonly kind = 'user_space';
  readonly inProcess = true;
  private callbacks: IoHandleCallbacks = NOOP_IO_CALLBACKS;
  private peer: UserSpaceIoHandle | undefined;
  private readonly receive = new ChunkQueue();
  private readonly pending = new ChunkQueue();
  private receiveAboveHigh = false;
  private receiveEof = false;
  private peerClosed = false;
  private peerReset = false;
  /** The peer closed without having seen our EOF: after the data, a reset (Envoy 2026). */
  private peerAborted = false;
  private eofDelivered = false;
  private closeDelivered = false;
  private writeShutdownRequested = false;
  private writeShutdown = false;
  private closed = false;
  private flushClosing = false;
  private readEnabled = true;
  private connected: boolean;
  private connectRequested = false;
  private deliveryScheduled = false;
  private drainThreshold = 0;
  private watchingDrain = false;
  private readonly deliver = (): void => this.deliverNow();
  /** What the peer said when it gave up (the HopFailure side channel of nodevoy's pairs). */
  peerFailure: HopFailure | undefined;

  constructor(
    readonly localAddress: Address,
    readonly remoteAddress: Address,
    /** High watermark of this end's receive buffer, in bytes. */
    private readonly highWatermark: number,
    /** Server ends are accepted connected; client ends connect. */
    connected: boolean,
    /** Shared by both ends of the pair. */
    readonly passthroughState: PassthroughState,
  ) {
    this.connected = connected;
  }

  /** Links two ends. */
  static pair(client: UserSpaceIoHandle, server: UserSpaceIoHandle): void {
    client.peer = server;
    server.peer = client;
  }

  reportFailure(failure: HopFailure): void {
    if (this.peer) this.peer.peerFailure = failure;
  }

  get pendingWriteBytes(): number {
    return this.pending.length;
  }

  /** Bytes waiting in this end's receive buffer (what the peer wrote and this end did not read). */
  get receivedBytes(): number {
    return this.receive.length;
  }

  get bufferedReadBytes(): number {
    return this.receive.length;
  }

  /**
   * For a process-wide count, each byte once: what this end wrote and nobody has read yet
   * (its pending queue and its peer's receive buffer); its own receive buffer only once the
   * peer that wrote it is gone.
   */
  get heldBytes(): number {
    return this.pending.length + (this.peer ? this.peer.receive.length : this.receive.length);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Listener filters may own the callbacks first and the connection after them. */
  setCallbacks(callbacks: IoHandleCallbacks): void {
    this.callbacks = callbacks;
    this.scheduleDelivery();
  }

  unread(data: Buffer): void {
    if (data.length > 0) this.receive.unshift(data);
  }

  setDrainThreshold(bytes: number): void {
    this.drainThreshold = bytes;
  }

  connect(): void {
    if (this.connectRequested) return;
    this.connectRequested = true;
    // Completion is seen on the next turn, as Envoy sees it on the next event loop iteration.
    queueMicrotask(() => {
      if (this.closed) return;
      if (!this.peer) {
        this.closeDelivered = true;
        this.closed = true;
        this.callbacks.onClosed({ reset: false, reason: 'internal listener refused the connection' });
        return;
      }
      this.connected = true;
      this.callbacks.onConnected();
      this.scheduleDelivery();
    });
  }

  write(chunk: Buffer): void {
    if (this.closed || this.writeShutdownRequested || chunk.length === 0) return;
    this.pending.push(chunk);
    this.flushPending();
    // Only a writer left with bytes above the threshold needs to hear when they drain.
    if (this.pending.length > this.drainThreshold) this.watchingDrain = true;
  }

  shutdownWrite(): void {
    if (this.closed || this.writeShutdownRequested) return;
    this.writeShutdownRequested = true;
    this.flushPending();
  }

  close(mode: IoCloseMode): void {
    if (this.closed || this.flushClosing) {
      if (mode !== 'flush' && this.flushClosing) this.finishClose(mode === 'reset', false);
      return;
    }
    if (mode === 'flush' && this.pending.length > 0 && this.peer) {
      // Wait for pending bytes to reach the peer, then close; no more reading meanwhile.
      this.flushClosing = true;
      this.readEnabled = false;
      return;
    }
    this.finishClose(mode === 'reset', false);
  }

  setReadEnabled(enabled: boolean): void {
    this.readEnabled = enabled;
    if (enabled) this.scheduleDelivery();
  }

  private flushPending(): void {
    const peer = this.peer;
    if (!peer) {
      this.pending.clear();
    } else {
      while (this.pending.length > 0 && !peer.receiveAboveHigh) {
        const room = peer.receive.length < peer.highWatermark ? Math.max(FRAGMENT_SIZE, peer.highWatermark - peer.receive.length) : FRAGMENT_SIZE;
        let moved = 0;
        while (moved < room && this.pending.length > 0) {
          const part = this.pending.take(room - moved) as Buffer;
          peer.receive.push(part);
          moved += part.length;
        }
        if (peer.receive.length > peer.highWatermark) peer.receiveAboveHigh = true;
      }
      if (this.pending.length === 0 && this.writeShutdownRequested && !this.writeShutdown) {
        this.writeShutdown = true;
        peer.receiveEof = true;
      }
      peer.scheduleDelivery();
    }
    if (this.watchingDrain && this.pending.length <= this.drainThreshold) {
      this.watchingDrain = false;
      this.callbacks.onWriteDrained();
    }
    if (this.flushClosing && (this.pending.length === 0 || !this.peer)) this.finishClose(false, true);
  }

  /** `reportFlushed`: a flush-close completed, which the owner learns through `onClosed`. */
  private finishClose(reset: boolean, reportFlushed: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.flushClosing = false;
    this.receive.clear();
    this.pending.clear();
    const peer = this.peer;
    this.peer = undefined;
    if (peer) peer.onPeerClosed(reset, this.receiveEof);
    if (reportFlushed) {
      const callbacks = this.callbacks;
      queueMicrotask(() => callbacks.onClosed({ reset: false, reason: 'flushed' }));
    }
  }

  /**
   * The peer closed. A reset drops what was not read and is reported at once, as a TCP RST.
   * A plain close reads as EOF only if the peer had already received our EOF (both sides were
   * done); otherwise this end reads what is left and then a reset, as Envoy's user-space socket
   * does since 2026 (envoy.reloadable_features.enable_send_rst_on_user_space_socket).
   */
  private onPeerClosed(reset: boolean, peerSawOurEof: boolean): void {
    this.peer = undefined;
    this.pending.clear();
    this.peerClosed = true;
    if (reset) {
      this.peerReset = true;
      this.receive.clear();
    } else if (peerSawOurEof) {
      this.receiveEof = true;
    } else {
      this.peerAborted = true;
    }
    if (this.flushClosing) this.finishClose(false, true);
    this.scheduleDelivery();
  }

  /** The reader drained its buffer to the low watermark: move more of this end's pending bytes. */
  private onPeerDrained(): void {
    if (!this.closed) this.flushPending();
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled || this.closed || !this.connected) return;
    const hasWork =
      this.peerReset ||
      (this.readEnabled && (this.receive.length > 0 || (this.receiveEof && !this.eofDelivered) || (this.peerClosed && !this.closeDelivered)));
    if (!hasWork) return;
    this.deliveryScheduled = true;
    queueMicrotask(this.deliver);
  }

  private deliverNow(): void {
    this.deliveryScheduled = false;
    if (this.closed) return;
    if (this.peerReset) {
      this.reportClosed(true, 'ECONNRESET');
      return;
    }
    const low = this.highWatermark / 2;
    while (this.readEnabled && this.receive.length > 0) {
      const chunk = this.receive.shift() as Buffer;
      if (this.receiveAboveHigh && this.receive.length <= low) {
        this.receiveAboveHigh = false;
        this.peer?.onPeerDrained();
      }
      this.callbacks.onData(chunk);
      if (this.closed) return;
    }
    if (!this.readEnabled || this.receive.length > 0) return;
    if (this.peerAborted) {
      this.reportClosed(true, 'ECONNRESET');
      return;
    }
    if (this.receiveEof && !this.eofDelivered) {
      this.eofDelivered = true;
      this.callbacks.onEndOfStream();
      if (this.closed) return;
    }
    // The peer closed fully (not just its write side): the connection is over, as in Envoy 2026.
    if (this.peerClosed) this.reportClosed(false, 'peer closed');
  }

  private reportClosed(reset: boolean, reason: string): void {
    if (this.closeDelivered) return;
    this.closeDelivered = true;
    this.closed = true;
    this.callbacks.onClosed({ reset, reason });
  }
}
