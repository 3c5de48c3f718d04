import { PoolRequestStats } from './pool-request-stats.js';
import type { ClientConnectionFactories } from '../network/client-connection-factories.js';
import type { UpstreamTransportSocket } from '../network/client-connection-factory.js';
import type { Connection, ConnectionCallbacks, ConnectionEvent } from '../network/connection.js';
import type { WorkerContext } from '../server/worker.js';
import type { ClusterInfo, Host, TcpPoolCallbacks, TcpPoolHandle, UpstreamConnectionOptions } from './types.js';

export interface TcpPoolDeps {
  readonly info: ClusterInfo;
  readonly clientConnections: ClientConnectionFactories;
  readonly transportSocket: UpstreamTransportSocket | undefined;
  /** Connections of this cluster open now: the max_connections circuit breaker and `*_buffered`. */
  readonly openConnections: Set<Connection>;
}

/**
 * One upstream connection per request, with the stats and connect timeout of Envoy's TCP
 * connection pool (what tcp_proxy uses): `upstream_rq_*`, `upstream_cx_*`, per-host counters.
 */
export function newTcpConnection(
  deps: TcpPoolDeps,
  host: Host,
  worker: WorkerContext,
  callbacks: TcpPoolCallbacks,
  options: UpstreamConnectionOptions,
): TcpPoolHandle {
  const { info } = deps;
  const stats = info.stats;
  const perHostLimited = info.maxConnectionsPerHost !== undefined && host.stats.cx_active >= info.maxConnectionsPerHost;
  if (!info.resources.DEFAULT.connections.canCreate() || perHostLimited) {
    stats.upstream_cx_overflow.inc();
    queueMicrotask(() => callbacks.onPoolFailure('Overflow', 'upstream connection limit reached', host));
    return { cancel() {} };
  }
  const countsAsRequest = options.countsAsRequest ?? true;
  if (countsAsRequest && !PoolRequestStats.admit(info)) {
    queueMicrotask(() => callbacks.onPoolFailure('Overflow', 'upstream request limit reached', host));
    return { cancel() {} };
  }
  const requests = countsAsRequest ? new PoolRequestStats(info, host) : undefined;
  requests?.pending();

  const connection = deps.clientConnections.createClientConnection(host.address, {
    worker,
    bufferLimit: info.perConnectionBufferLimitBytes,
    ...(deps.transportSocket ? { transportSocket: deps.transportSocket } : {}),
    host: { address: host.address, hostname: host.hostname, metadata: host.metadata, clusterMetadata: info.metadata },
    internalHops: options.requester?.internalHops ?? 0,
    ...(options.requester?.downstreamAddresses && deps.transportSocket ? { downstreamAddresses: options.requester.downstreamAddresses } : {}),
    // Only a transport socket reads what is shared: no list is built for a plain connection.
    ...(options.requester && deps.transportSocket ? { sharedFilterState: options.requester.filterState.sharedWithUpstream() } : {}),
    ...(options.alpnFallback ? { alpnFallback: options.alpnFallback } : {}),
    ...(info.tcpKeepaliveMs !== undefined ? { tcpKeepaliveMs: info.tcpKeepaliveMs } : {}),
  });
  const tracker = new UpstreamConnectionTracker(deps, host, connection, callbacks, requests);
  connection.setConnectionMeters({ rxTotal: stats.upstream_cx_rx_bytes_total, txTotal: stats.upstream_cx_tx_bytes_total });
  connection.addConnectionCallbacks(tracker);
  connection.connect();
  return tracker;
}

class UpstreamConnectionTracker implements ConnectionCallbacks, TcpPoolHandle {
  private readonly startMs = performance.now();
  private connectedMs = 0;
  private pending = true;
  private cancelled = false;
  private timedOut = false;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(
    private readonly deps: TcpPoolDeps,
    private readonly host: Host,
    private readonly connection: Connection,
    private readonly callbacks: TcpPoolCallbacks,
    private readonly requests: PoolRequestStats | undefined,
  ) {
    const stats = deps.info.stats;
    stats.upstream_cx_total.inc();
    stats.upstream_cx_active.inc();
    host.stats.cx_total++;
    host.stats.cx_active++;
    deps.info.resources.DEFAULT.connections.inc();
    deps.openConnections.add(connection);
    this.connectTimer = setTimeout(() => this.onConnectTimeout(), deps.info.connectTimeoutMs);
  }

  cancel(): void {
    if (!this.pending) return;
    this.cancelled = true;
    this.deps.info.stats.upstream_rq_cancelled.inc();
    this.connection.close('NoFlush', 'upstream request cancelled');
  }

  onEvent(event: ConnectionEvent): void {
    const stats = this.deps.info.stats;
    if (event === 'Connected') {
      if (!this.pending) return;
      this.pending = false;
      clearTimeout(this.connectTimer);
      this.connectedMs = performance.now();
      stats.upstream_cx_connect_ms.record(this.connectedMs - this.startMs);
      this.requests?.assigned();
      this.callbacks.onPoolReady(this.connection, this.host);
      return;
    }
    this.onClosed(event);
  }

  private onClosed(event: 'RemoteClose' | 'LocalClose'): void {
    const stats = this.deps.info.stats;
    clearTimeout(this.connectTimer);
    stats.upstream_cx_active.dec();
    this.host.stats.cx_active--;
    this.deps.info.resources.DEFAULT.connections.dec();
    this.deps.openConnections.delete(this.connection);
    stats.upstream_cx_destroy.inc();
    if (event === 'RemoteClose') stats.upstream_cx_destroy_remote.inc();
    else stats.upstream_cx_destroy_local.inc();
    if (this.pending) {
      this.pending = false;
      stats.upstream_cx_connect_fail.inc();
      this.host.stats.cx_connect_fail++;
      this.requests?.failedPending('failure');
      if (this.cancelled) return;
      const reason = this.timedOut ? 'Timeout' : event === 'RemoteClose' ? 'RemoteConnectionFailure' : 'LocalConnectionFailure';
      this.callbacks.onPoolFailure(reason, this.connection.closeReason || reason, this.host);
      return;
    }
    stats.upstream_cx_length_ms.record(performance.now() - this.connectedMs);
    this.requests?.destroyedWithConnection(event);
  }

  private onConnectTimeout(): void {
    if (!this.pending) return;
    this.timedOut = true;
    this.deps.info.stats.upstream_cx_connect_timeout.inc();
    this.connection.close('NoFlush', 'connect timeout');
  }
}
