import type { Socket } from 'node:net';
import type { HopFailure } from './hop-failure.js';
import type { Address } from './address.js';
import type { PassthroughState } from './passthrough-state.js';
import type { SslConnectionInfo } from './ssl-info.js';

/** Why a transport went away without the local side closing it. */
export interface TransportClosed {
  /** The peer reset the connection (RST, or an in-process abort). */
  readonly reset: boolean;
  /** A short, stable description: `ECONNREFUSED`, `ECONNRESET`, `peer closed`... */
  readonly reason: string;
}

/** What a transport reports to the connection that owns it. */
export interface IoHandleCallbacks {
  onConnected(): void;
  onData(chunk: Buffer): void;
  /** The peer will send no more data (TCP FIN, or the in-process peer shut down writing). */
  onEndOfStream(): void;
  /** Pending write bytes fell to or below the drain threshold after being above it. */
  onWriteDrained(): void;
  /** The transport is gone for a reason other than a local `close()`. */
  onClosed(closed: TransportClosed): void;
}

/** How a transport is closed: after pending writes, at once, or with a reset. */
export type IoCloseMode = 'flush' | 'now' | 'reset';

/**
 * The byte transport under a connection: a kernel socket, or one end of an in-process pair.
 * Every `Connection` sits on one of these, so filters see the same semantics either way.
 * Callbacks never fire after the local side called `close()`, except `onClosed` to report
 * that a `flush` close finished.
 */
export interface IoHandle {
  readonly kind: string;
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  /** Bytes accepted by `write()` and not yet handed on (to the kernel, or to the peer). */
  readonly pendingWriteBytes: number;
  /** Bytes received and not yet delivered (while reading is disabled, for instance). */
  readonly bufferedReadBytes: number;
  setCallbacks(callbacks: IoHandleCallbacks): void;
  /** Client side only: starts connecting; the outcome arrives as `onConnected` or `onClosed`. */
  connect(): void;
  write(chunk: Buffer): void;
  /** Sends end-of-stream once every pending byte is out. */
  shutdownWrite(): void;
  close(mode: IoCloseMode): void;
  setReadEnabled(enabled: boolean): void;
  /** `onWriteDrained` fires when pending bytes drop to or below this after being above it. */
  setDrainThreshold(bytes: number): void;
  /** In-process pairs: tells the peer why this side gives up (read there as `peerFailure`). */
  reportFailure?(failure: HopFailure): void;
  /** In-process pairs: what the peer reported with `reportFailure`. */
  readonly peerFailure?: HopFailure;
  /** True for one end of an in-process pair: its reads only move bytes already in the process. */
  readonly inProcess?: boolean;
  /**
   * The bytes this end answers for in a process-wide count: its pending writes and, for an
   * in-process pair, what it wrote that its peer has not read yet. Default: pending writes plus
   * buffered reads.
   */
  readonly heldBytes?: number;
  /** In-process pairs: the state both ends share (see `PassthroughState`). */
  readonly passthroughState?: PassthroughState;
  /**
   * Puts bytes back in front of what is still to be read, to be delivered again: what listener
   * filters peeked at (Envoy peeks with MSG_PEEK) reaches the connection as if never read.
   */
  unread?(data: Buffer): void;
  /**
   * Kernel sockets: hands the socket itself to a transport socket that layers on it (TLS, on
   * the socket's native handle) along with where it connects. This handle is then done with it.
   */
  releaseSocket?(): ReleasedSocket;
  /** What a TLS transport established: the peer's certificate, version, cipher, ALPN... */
  readonly ssl?: SslConnectionInfo;
  /**
   * A transport that negotiates before data flows (TLS) calls `callback` once it has: what a
   * filter chain's `transport_socket_connect_timeout` waits for. Others do not implement it.
   */
  whenEstablished?(callback: () => void): void;
}

/** A kernel socket taken over from its IoHandle (see `IoHandle.releaseSocket`). */
export interface ReleasedSocket {
  readonly socket: Socket;
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  /** Client sockets: where to connect. Accepted sockets are connected already. */
  readonly connectTo?: { readonly host: string; readonly port: number };
}

/** Callbacks that ignore everything: what a handle reports to before its owner attaches. */
export const NOOP_IO_CALLBACKS: IoHandleCallbacks = Object.freeze({
  onConnected() {},
  onData() {},
  onEndOfStream() {},
  onWriteDrained() {},
  onClosed() {},
});
