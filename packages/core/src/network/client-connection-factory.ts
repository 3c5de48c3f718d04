import type { Logger } from '../log/logger.js';
import type { DownstreamAddresses } from '../upstream/types.js';
import type { WorkerContext } from '../server/worker.js';
import type { Address } from './address.js';
import type { Connection } from './connection.js';
import type { SharedFilterStateObject } from './filter-state.js';
import type { IoHandle } from './io-handle.js';
import type { PassthroughBundle, RequestPassthroughSource } from './passthrough-state.js';

/** What a transport socket knows about the upstream connection it wraps. */
export interface UpstreamSocketContext {
  readonly host?: UpstreamHostRef;
  /** The downstream connection the upstream one is for, when there is one (tcp_proxy). */
  readonly downstreamAddresses?: DownstreamAddresses;
  /** The downstream's filter state objects shared with upstream, when the connection opened. */
  readonly sharedFilterState?: readonly SharedFilterStateObject[];
  /**
   * ALPN protocols to offer when the transport socket configures none (Envoy's ALPN fallback):
   * an HTTP pool that lets ALPN choose the codec offers `h2` and `http/1.1`.
   */
  readonly alpnFallback?: readonly string[];
}

/** Wraps a new upstream transport (raw_buffer returns it as is; TLS would encrypt). */
export interface UpstreamTransportSocket {
  wrap(io: IoHandle, context: UpstreamSocketContext): IoHandle;
  /** It negotiates ALPN (TLS does), so a pool may let ALPN choose the protocol (Envoy's `supportsAlpn()`). */
  readonly supportsAlpn?: boolean;
  /**
   * What of one HTTP request travels with it to an internal listener, whichever pooled
   * connection carries it (nodevoy's per-request passthrough). Undefined: nothing.
   */
  requestPassthrough?(request: RequestPassthroughSource): PassthroughBundle | undefined;
}

/** What a transport socket may read about the upstream host it connects to. */
export interface UpstreamHostRef {
  readonly address: Address;
  /** The endpoint's hostname (a DNS cluster's name, or `endpoint.hostname`), or ''. */
  readonly hostname: string;
  readonly metadata: Readonly<Record<string, Record<string, unknown>>>;
  readonly clusterMetadata: Readonly<Record<string, Record<string, unknown>>>;
}

export interface ClientConnectionOptions {
  readonly worker: WorkerContext;
  readonly bufferLimit: number;
  readonly transportSocket?: UpstreamTransportSocket;
  readonly host?: UpstreamHostRef;
  readonly sharedFilterState?: readonly SharedFilterStateObject[];
  /** Internal hops the requesting downstream is already behind (0: it came from a kernel socket). */
  readonly internalHops?: number;
  readonly downstreamAddresses?: DownstreamAddresses;
  readonly alpnFallback?: readonly string[];
  /** `upstream_connection_options.tcp_keepalive`: TCP keep-alive on a kernel socket, after this idle time (0: the system's). */
  readonly tcpKeepaliveMs?: number;
}

/** What a client connection factory tells the transport socket it wraps a new connection in. */
export function upstreamSocketContext(options: ClientConnectionOptions): UpstreamSocketContext {
  return {
    ...(options.host ? { host: options.host } : {}),
    ...(options.sharedFilterState ? { sharedFilterState: options.sharedFilterState } : {}),
    ...(options.downstreamAddresses ? { downstreamAddresses: options.downstreamAddresses } : {}),
    ...(options.alpnFallback ? { alpnFallback: options.alpnFallback } : {}),
  };
}

/**
 * Opens client connections to one kind of address (Envoy's `ClientConnectionFactory`, looked
 * up by the address type). Creating never throws: an unreachable target is a connection whose
 * `connect()` fails, so callers have one failure path.
 */
export interface ClientConnectionFactory {
  readonly addressKind: string;
  createClientConnection(address: Address, options: ClientConnectionOptions): Connection;
}

/** What a client connection factory needs from its server. */
export interface ClientConnectionContext {
  nextConnectionId(): number;
  readonly log: Logger;
}
