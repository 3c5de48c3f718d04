import type { Address } from './address.js';
import { FilterState } from './filter-state.js';
import { ResponseFlags } from './response-flags.js';

/** Dynamic metadata: namespaces of keys and values filters set for each other and for logs. */
export type DynamicMetadata = Map<string, Record<string, unknown>>;

/** Merges keys into one dynamic metadata namespace, as Envoy's `setDynamicMetadata`. */
export function mergeDynamicMetadata(metadata: DynamicMetadata, namespace: string, values: Record<string, unknown>): void {
  metadata.set(namespace, { ...metadata.get(namespace), ...values });
}

/**
 * Per-connection state that filters share (a slice of Envoy's StreamInfo): filter state,
 * dynamic metadata, the server name a listener filter found, when it started, and what a
 * terminal filter (tcp_proxy) found upstream, for access logs.
 */
export class ConnectionInfo {
  readonly startTimeMs = Date.now();
  readonly filterState = new FilterState();
  readonly dynamicMetadata: DynamicMetadata = new Map();
  /** Internal hops this connection is behind: 0 for a kernel socket, 1 behind one internal listener... */
  internalHops = 0;
  requestedServerName = '';
  transportProtocol = '';
  applicationProtocols: readonly string[] = [];
  /** The client's JA3 fingerprint, when the TLS inspector computes one. */
  ja3Hash = '';
  /** The peer the socket is really connected to, when a listener filter restored another (PROXY protocol). */
  directRemoteAddress: Address | undefined;
  /** The address the connection was really for, when a listener filter restored it (original_dst, PROXY protocol). */
  restoredLocalAddress: Address | undefined;
  readonly responseFlags = new ResponseFlags();
  /** Why the connection ended where nodevoy decided it (`filter_chain_not_found`...). */
  responseCodeDetails: string | undefined;
  upstreamCluster: string | undefined;
  upstreamHost: Address | undefined;
  upstreamLocalAddress: Address | undefined;
  /** Why the last upstream connection failed (`delayed connect error: Connection refused`). */
  upstreamTransportFailureReason: string | undefined;

  setDynamicMetadata(namespace: string, values: Record<string, unknown>): void {
    mergeDynamicMetadata(this.dynamicMetadata, namespace, values);
  }
}

/**
 * One HTTP request's state (Envoy's per-stream StreamInfo): its own dynamic metadata, and
 * filter state whose parent is the connection's.
 */
export class RequestInfo {
  readonly startTimeMs = Date.now();
  readonly filterState: FilterState;
  readonly dynamicMetadata: DynamicMetadata = new Map();
  /**
   * The client as the connection manager decided it (x-forwarded-for and trusted hops, Envoy's
   * downstream remote address), when that is not the connection's peer.
   */
  downstreamRemoteAddress: Address | undefined;
  /** The upstream host the request was sent to, once the router chose it. */
  upstreamHost: Address | undefined;
  upstreamCluster: string | undefined;
  /** Flags a filter sets beyond what the response's details say (the router's URX). */
  readonly responseFlags = new ResponseFlags();
  /** A health check, as the health check filter decided: access logs' `not_health_check_filter` leaves it out. */
  healthCheck = false;
  /** The connection manager decided to trace it: access logs' `traceable_filter` keeps it. */
  traced = false;

  constructor(readonly connection: ConnectionInfo) {
    this.filterState = new FilterState(connection.filterState);
  }

  get requestedServerName(): string {
    return this.connection.requestedServerName;
  }

  get internalHops(): number {
    return this.connection.internalHops;
  }

  get ja3Hash(): string {
    return this.connection.ja3Hash;
  }

  get directRemoteAddress(): Address | undefined {
    return this.connection.directRemoteAddress;
  }

  setDynamicMetadata(namespace: string, values: Record<string, unknown>): void {
    mergeDynamicMetadata(this.dynamicMetadata, namespace, values);
  }
}
