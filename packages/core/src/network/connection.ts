import type { WorkerContext } from '../server/worker.js';
import type { Counter } from '../stats/store.js';
import type { Address } from './address.js';
import type { ConnectionInfo } from './connection-info.js';
import type { FilterStatus, ReadFilter, WriteFilter } from './filter.js';
import type { HopFailure } from './hop-failure.js';
import type { BufferAccount } from '../overload/buffer-account.js';
import { FilterChainState } from './filter-chain-state.js';
import type { IoHandle, IoHandleCallbacks, TransportClosed } from './io-handle.js';
import type { SslConnectionInfo } from './ssl-info.js';

export type ConnectionEvent = 'RemoteClose' | 'LocalClose' | 'Connected';
export type ConnectionState = 'Open' | 'Closing' | 'Closed';
/** Envoy's close kinds: flush pending writes first, drop them, or reset the peer. */
export type ConnectionCloseType = 'FlushWrite' | 'NoFlush' | 'Abort' | 'AbortReset';
/** How the close was seen, as Envoy's `%DOWNSTREAM_DETECTED_CLOSE_TYPE%`. */
export type DetectedCloseType = 'Normal' | 'LocalReset' | 'RemoteReset';

export interface ConnectionCallbacks {
  onEvent(event: ConnectionEvent): void;
  onAboveWriteBufferHighWatermark?(): void;
  onBelowWriteBufferLowWatermark?(): void;
}

/** Byte counters a connection feeds (Envoy's `ConnectionStats`). */
export interface ConnectionMeters {
  readonly rxTotal?: Counter;
  readonly txTotal?: Counter;
}

/** Something that can log one line about a connection; the server's logger fits. */
export interface ConnectionLog {
  debug(message: string): void;
  warn(message: string): void;
}

export interface ConnectionOptions {
  readonly id: number;
  readonly io: IoHandle;
  readonly info: ConnectionInfo;
  /** Per-connection buffer limit: write-buffer high watermark; low is half. 0 disables. */
  readonly bufferLimit: number;
  readonly log: ConnectionLog;
  /** A client connection is created before it connects; a server connection is born connected. */
  readonly connecting?: boolean;
  /** The worker this connection lives on; its internal hops stay there. */
  readonly worker: WorkerContext;
}

/**
 * One connection, over a kernel socket or an in-process pair, with Envoy's semantics:
 * read/write filter chains, opt-in half-close, explicit close kinds, a counted read-disable,
 * and write-buffer watermarks that tell the other side of a proxy to stop reading.
 */
export class Connection implements IoHandleCallbacks {
  readonly id: number;
  readonly io: IoHandle;
  readonly info: ConnectionInfo;
  readonly worker: WorkerContext;
  state: ConnectionState = 'Open';
  detectedCloseType: DetectedCloseType = 'Normal';
  /** Why the connection closed, in Envoy's words where it has them (`connection_failure`...). */
  closeReason = '';
  /** Bytes read from and written to the transport over the connection's life (access logs). */
  bytesReceived = 0;
  bytesSent = 0;
  connecting: boolean;

  private readonly filters: FilterChainState;
  private readonly callbacks: ConnectionCallbacks[] = [];
  private readonly log: ConnectionLog;
  private readDisableCount = 0;
  private halfCloseEnabled = false;
  private readEnded = false;
  private writeEnded = false;
  private aboveHighWatermark = false;
  private bufferLimit: number;
  private meters: ConnectionMeters = {};
  /** The event to raise when a close that waited for pending writes completes. */
  private closingEvent: ConnectionEvent = 'LocalClose';
  private readonly bufferAccount: BufferAccount | undefined;
  /** What this connection last reported to the buffer account. */
  private accountedBytes = 0;

  constructor(options: ConnectionOptions) {
    this.id = options.id;
    this.io = options.io;
    this.info = options.info;
    this.worker = options.worker;
    this.log = options.log;
    this.connecting = options.connecting ?? false;
    this.bufferLimit = options.bufferLimit;
    this.filters = new FilterChainState(this);
    this.io.setDrainThreshold(this.lowWatermark());
    this.io.setCallbacks(this);
    this.bufferAccount = options.worker.bufferAccount;
    this.bufferAccount?.join(this);
  }

  get localAddress(): Address {
    return this.io.localAddress;
  }

  get remoteAddress(): Address {
    return this.io.remoteAddress;
  }

  /** Bytes written and not yet handed to the transport's peer or kernel. */
  get pendingWriteBytes(): number {
    return this.io.pendingWriteBytes;
  }

  get bufferLimitBytes(): number {
    return this.bufferLimit;
  }

  /** What TLS established on this connection; undefined on a plaintext one. */
  get ssl(): SslConnectionInfo | undefined {
    return this.io.ssl;
  }

  /** Over an in-process hop: why the accepting side gave up, if it said (see HopFailure). */
  get hopFailure(): HopFailure | undefined {
    return this.io.peerFailure;
  }

  /** Over an in-process hop: tells the connecting side why this side gives up. No-op on kernel sockets. */
  reportHopFailure(failure: HopFailure): void {
    this.io.reportFailure?.(failure);
  }

  get readEnabled(): boolean {
    return this.readDisableCount === 0;
  }

  get isHalfCloseEnabled(): boolean {
    return this.halfCloseEnabled;
  }

  get isAboveHighWatermark(): boolean {
    return this.aboveHighWatermark;
  }

  /** Bytes received and not yet taken by the filters: held for a paused filter, or not read yet. */
  get pendingReadBytes(): number {
    return this.filters.pendingReadBytes + this.io.bufferedReadBytes;
  }

  addReadFilter(filter: ReadFilter): void {
    this.filters.addReadFilter(filter);
  }

  addWriteFilter(filter: WriteFilter): void {
    this.filters.addWriteFilter(filter);
  }

  addFilter(filter: ReadFilter & WriteFilter): void {
    this.filters.addReadFilter(filter);
    this.filters.addWriteFilter(filter);
  }

  /** Runs `onNewConnection` down the chain. False when the chain has no read filter. */
  initializeReadFilters(): boolean {
    return this.filters.initialize();
  }

  addConnectionCallbacks(callbacks: ConnectionCallbacks): void {
    this.callbacks.push(callbacks);
  }

  removeConnectionCallbacks(callbacks: ConnectionCallbacks): void {
    const i = this.callbacks.indexOf(callbacks);
    if (i >= 0) this.callbacks.splice(i, 1);
  }

  setConnectionMeters(meters: ConnectionMeters): void {
    this.meters = meters;
  }

  /** With half-close on, a peer's FIN is delivered as `endStream` instead of closing. */
  enableHalfClose(enabled: boolean): void {
    this.halfCloseEnabled = enabled;
  }

  setBufferLimits(limit: number): void {
    this.bufferLimit = limit;
    this.io.setDrainThreshold(this.lowWatermark());
  }

  connect(): void {
    this.io.connect();
  }

  /**
   * Counted, as Envoy's `readDisable`: every `true` needs a matching `false` before reading
   * resumes, so independent reasons to pause (two watermarks, a filter) never undo each other.
   */
  readDisable(disable: boolean): void {
    if (this.state !== 'Open') return;
    if (disable) {
      if (++this.readDisableCount === 1) this.io.setReadEnabled(false);
      return;
    }
    if (this.readDisableCount === 0) {
      this.log.warn(`[C${this.id}] readDisable(false) without a matching readDisable(true)`);
      return;
    }
    if (--this.readDisableCount === 0) this.io.setReadEnabled(true);
  }

  /** Writes through the write filters (last added first) to the transport. */
  write(data: Buffer, endStream: boolean): void {
    if (this.state !== 'Open' || this.writeEnded) return;
    if (this.filters.hasWriteFilters && this.filters.runWriteFilters(data, endStream) === 'stop') return;
    this.writeToTransport(data, endStream);
  }

  /** @internal Transport write after the write filters, used by the filter chain. */
  writeToTransport(data: Buffer, endStream: boolean): void {
    if (this.state !== 'Open' || this.writeEnded) return;
    if (data.length > 0) {
      this.io.write(data);
      this.bytesSent += data.length;
      this.meters.txTotal?.inc(data.length);
      if (this.bufferAccount) this.reportHeldBytes();
      if (!this.aboveHighWatermark && this.bufferLimit > 0 && this.io.pendingWriteBytes > this.bufferLimit) {
        this.aboveHighWatermark = true;
        this.notifyWatermark(true);
      }
    }
    if (endStream) {
      this.writeEnded = true;
      this.io.shutdownWrite();
      // As Envoy, the close happens after the write completes, not inside the caller's stack:
      // the side that delivered the last EOF then closes first (and is the RemoteClose).
      if (this.readEnded) queueMicrotask(() => this.closeBothDirectionsDone('LocalClose'));
    }
  }

  close(type: ConnectionCloseType, reason = ''): void {
    if (this.state === 'Closed') return;
    if (reason && !this.closeReason) this.closeReason = reason;
    if (type === 'AbortReset') {
      this.detectedCloseType = 'LocalReset';
      this.io.close('reset');
      this.closeSocket('LocalClose');
      return;
    }
    if (type === 'NoFlush' || type === 'Abort' || this.io.pendingWriteBytes === 0) {
      this.io.close(type === 'FlushWrite' ? 'flush' : 'now');
      this.closeSocket('LocalClose');
      return;
    }
    if (this.state === 'Closing') return;
    // FlushWrite with bytes pending: stop reading, let the transport drain, then close.
    this.state = 'Closing';
    this.io.setReadEnabled(false);
    this.io.close('flush');
  }

  raiseEvent(event: ConnectionEvent): void {
    // Copy: a callback may remove itself or others while being called.
    for (const cb of [...this.callbacks]) {
      try {
        cb.onEvent(event);
      } catch (err) {
        this.log.warn(`[C${this.id}] connection callback threw on ${event}: ${describe(err)}`);
      }
    }
  }

  // IoHandleCallbacks: what the transport reports.

  onConnected(): void {
    if (this.state !== 'Open' || !this.connecting) return;
    this.connecting = false;
    this.raiseEvent('Connected');
  }

  onData(chunk: Buffer): void {
    if (this.state !== 'Open') return;
    this.bytesReceived += chunk.length;
    this.meters.rxTotal?.inc(chunk.length);
    this.filters.onRead(chunk, false);
    if (this.bufferAccount) this.reportHeldBytes();
  }

  onEndOfStream(): void {
    if (this.state !== 'Open' || this.readEnded) return;
    this.readEnded = true;
    if (!this.halfCloseEnabled) {
      this.io.close('now');
      this.closeSocket('RemoteClose');
      return;
    }
    this.filters.onRead(EMPTY, true);
    if (this.writeEnded) this.closeBothDirectionsDone('RemoteClose');
  }

  onWriteDrained(): void {
    if (this.bufferAccount) this.reportHeldBytes();
    if (this.aboveHighWatermark && this.io.pendingWriteBytes <= this.lowWatermark()) {
      this.aboveHighWatermark = false;
      this.notifyWatermark(false);
    }
  }

  onClosed(closed: TransportClosed): void {
    if (this.state === 'Closed') return;
    if (this.state === 'Closing') {
      // A close that waited for pending writes has finished draining.
      this.closeSocket(this.closingEvent);
      return;
    }
    if (closed.reset) this.detectedCloseType = 'RemoteReset';
    if (!this.closeReason) this.closeReason = this.connecting ? `connection_failure: ${closed.reason}` : closed.reason;
    this.closeSocket('RemoteClose');
  }

  /** @internal Used by the filter chain to close on a filter error. */
  closeOnFilterError(where: string, err: unknown): void {
    this.log.warn(`[C${this.id}] filter threw in ${where}, closing: ${describe(err)}`);
    this.close('NoFlush', `filter_error: ${describe(err)}`);
  }

  private closeBothDirectionsDone(event: ConnectionEvent): void {
    if (this.state !== 'Open') return;
    this.io.close('flush');
    if (this.state === 'Open' && this.io.pendingWriteBytes > 0) {
      this.state = 'Closing';
      this.closingEvent = event;
      return;
    }
    this.closeSocket(event);
  }

  private closeSocket(event: ConnectionEvent): void {
    if (this.state === 'Closed') return;
    this.log.debug(`[C${this.id}] closed: ${event} (${this.detectedCloseType})${this.closeReason ? `: ${this.closeReason}` : ''}`);
    this.state = 'Closed';
    this.connecting = false;
    this.bufferAccount?.leave(this, this.accountedBytes);
    this.raiseEvent(event);
  }

  /** @internal For the buffer account: reads on a kernel socket bring new bytes into the process. */
  get readsIntoProcess(): boolean {
    return !this.io.inProcess;
  }

  /** @internal For the buffer account: the bytes held now, recorded as reported. */
  recountHeldBytes(): number {
    this.accountedBytes = this.state === 'Closed' ? 0 : this.currentHeldBytes();
    return this.accountedBytes;
  }

  private reportHeldBytes(): void {
    const now = this.currentHeldBytes();
    if (now === this.accountedBytes) return;
    const delta = now - this.accountedBytes;
    this.accountedBytes = now;
    this.bufferAccount?.add(delta);
  }

  private currentHeldBytes(): number {
    return (this.io.heldBytes ?? this.io.pendingWriteBytes + this.io.bufferedReadBytes) + this.filters.pendingReadBytes;
  }

  private notifyWatermark(above: boolean): void {
    for (const cb of [...this.callbacks]) {
      try {
        if (above) cb.onAboveWriteBufferHighWatermark?.();
        else cb.onBelowWriteBufferLowWatermark?.();
      } catch (err) {
        this.log.warn(`[C${this.id}] watermark callback threw: ${describe(err)}`);
      }
    }
  }

  private lowWatermark(): number {
    return Math.floor(this.bufferLimit / 2);
  }
}

const EMPTY = Buffer.alloc(0);

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type { FilterStatus };
