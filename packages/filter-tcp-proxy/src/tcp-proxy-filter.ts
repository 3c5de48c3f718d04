import type {
  ClusterManagerApi,
  Connection,
  ConnectionCallbacks,
  ConnectionEvent,
  FilterStatus,
  Host,
  Logger,
  PoolFailureReason,
  ReadFilter,
  ReadFilterCallbacks,
  TcpPoolCallbacks,
  TcpPoolHandle,
  UpstreamCluster,
} from '@nodevoy/core';
import type { TcpProxyStats } from './stats.js';
import { IdleTimer } from './idle-timer.js';

/** What every connection of one tcp_proxy filter config shares. */
export interface TcpProxySharedConfig {
  readonly stats: TcpProxyStats;
  readonly clusterManager: ClusterManagerApi;
  readonly pickCluster: () => string;
  readonly maxConnectAttempts: number;
  /** 0 disables the idle timeout. */
  readonly idleTimeoutMs: number;
  /** Drawn per connection (it may be jittered); undefined means no limit. */
  readonly maxDownstreamConnectionDurationMs: () => number | undefined;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number } | undefined;
  readonly log: Logger;
  /** Live sessions, for the `*_buffered` gauges. */
  readonly sessions: Set<TcpProxyFilter>;
}

/**
 * `envoy.filters.network.tcp_proxy` on one downstream connection. Downstream reads wait until
 * the upstream connects; then bytes flow both ways, half-close is proxied each way, and each
 * side's write-buffer watermarks pause reading on the other.
 */
export class TcpProxyFilter implements ReadFilter, ConnectionCallbacks, TcpPoolCallbacks {
  private downstream!: Connection;
  private upstream: Connection | undefined;
  private upstreamCluster: UpstreamCluster | undefined;
  private pending: TcpPoolHandle | undefined;
  private connectAttempts = 0;
  private downstreamClosed = false;
  /** Set when tcp_proxy itself gives up on the connection: the upstream is dropped, not flushed. */
  private aborting = false;
  private readonly idle: IdleTimer;
  private durationTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private readonly upstreamCallbacks: ConnectionCallbacks;

  constructor(private readonly shared: TcpProxySharedConfig) {
    this.idle = new IdleTimer(shared.idleTimeoutMs, () => this.onIdleTimeout());
    this.upstreamCallbacks = {
      onEvent: (event) => this.onUpstreamEvent(event),
      onAboveWriteBufferHighWatermark: () => this.readDisableDownstream(true),
      onBelowWriteBufferLowWatermark: () => this.readDisableDownstream(false),
    };
  }

  get downstreamConnection(): Connection {
    return this.downstream;
  }

  initializeReadFilterCallbacks(callbacks: ReadFilterCallbacks): void {
    const stats = this.shared.stats;
    this.downstream = callbacks.connection;
    this.downstream.enableHalfClose(true);
    this.downstream.setConnectionMeters({ rxTotal: stats.downstream_cx_rx_bytes_total, txTotal: stats.downstream_cx_tx_bytes_total });
    this.downstream.addConnectionCallbacks(this);
    // Nothing is read from the client until the upstream is there to take it.
    this.downstream.readDisable(true);
    stats.downstream_cx_total.inc();
    this.shared.sessions.add(this);
  }

  onNewConnection(): FilterStatus {
    this.idle.start();
    const maxDuration = this.shared.maxDownstreamConnectionDurationMs();
    if (maxDuration !== undefined) {
      this.durationTimer = setTimeout(() => {
        this.shared.stats.max_downstream_connection_duration.inc();
        this.abort('max_downstream_connection_duration');
      }, maxDuration);
    }
    this.establishUpstream();
    return 'stop';
  }

  onData(data: Buffer, endStream: boolean): FilterStatus {
    this.idle.touch();
    this.upstream?.write(data, endStream);
    return 'stop';
  }

  // Downstream connection events and watermarks.

  onEvent(event: ConnectionEvent): void {
    if (event === 'Connected') return;
    this.downstreamClosed = true;
    this.cleanup();
    if (this.pending) {
      this.pending.cancel();
      this.pending = undefined;
    }
    const upstream = this.upstream;
    if (!upstream || upstream.state === 'Closed') return;
    if (this.aborting) {
      upstream.close('NoFlush', 'tcp_proxy closed the downstream');
      return;
    }
    // A reset travels on as a reset (Envoy 1.40 does this across internal hops too).
    if (this.downstream.detectedCloseType === 'RemoteReset') {
      upstream.close('AbortReset', 'downstream reset');
      return;
    }
    // The client is done: what it sent still reaches the upstream, then the upstream closes.
    upstream.close('FlushWrite', event === 'RemoteClose' ? 'downstream remote close' : 'downstream local close');
    if (event === 'RemoteClose' && isFlushing(upstream)) this.trackUpstreamFlush(upstream);
  }

  onAboveWriteBufferHighWatermark(): void {
    this.readDisableUpstream(true);
  }

  onBelowWriteBufferLowWatermark(): void {
    this.readDisableUpstream(false);
  }

  // Upstream connection pool.

  onPoolReady(connection: Connection, _host: Host): void {
    this.pending = undefined;
    if (this.downstreamClosed) {
      connection.close('NoFlush', 'downstream closed while connecting');
      return;
    }
    this.upstream = connection;
    connection.enableHalfClose(true);
    connection.addConnectionCallbacks(this.upstreamCallbacks);
    connection.addReadFilter({
      onData: (data, endStream) => {
        this.idle.touch();
        this.downstream.write(data, endStream);
        return 'stop';
      },
    });
    connection.initializeReadFilters();
    this.idle.touch();
    this.downstream.readDisable(false);
  }

  onPoolFailure(reason: PoolFailureReason, detail: string, host: Host): void {
    this.pending = undefined;
    if (this.downstreamClosed) return;
    this.shared.log.debug(`[C${this.downstream.id}] tcp_proxy: upstream ${host.address.asString} failed (${reason}): ${detail}`);
    const backoff = this.shared.backoff;
    if (backoff && this.connectAttempts < this.shared.maxConnectAttempts) {
      const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (this.connectAttempts - 1));
      this.backoffTimer = setTimeout(() => this.establishUpstream(), Math.random() * ceiling);
      return;
    }
    this.establishUpstream();
  }

  private establishUpstream(): void {
    this.backoffTimer = undefined;
    if (this.downstreamClosed) return;
    const name = this.shared.pickCluster();
    const cluster = this.shared.clusterManager.getCluster(name);
    if (!cluster) {
      this.shared.stats.downstream_cx_no_route.inc();
      this.abort(`tcp_proxy: no cluster '${name}'`);
      return;
    }
    this.upstreamCluster = cluster;
    if (this.connectAttempts >= this.shared.maxConnectAttempts) {
      cluster.info.stats.upstream_cx_connect_attempts_exceeded.inc();
      this.abort('tcp_proxy: upstream connect attempts exceeded');
      return;
    }
    const host = cluster.chooseHost();
    if (!host) {
      cluster.info.stats.upstream_cx_none_healthy.inc();
      this.abort('tcp_proxy: no healthy upstream');
      return;
    }
    this.connectAttempts++;
    this.pending = cluster.newTcpConnection(host, this.downstream.worker, this);
  }

  private onUpstreamEvent(event: ConnectionEvent): void {
    if (event === 'Connected' || this.downstreamClosed) return;
    if (this.upstream?.detectedCloseType === 'RemoteReset') {
      this.downstream.close('AbortReset', 'upstream reset');
      return;
    }
    this.downstream.close('FlushWrite', event === 'RemoteClose' ? 'upstream remote close' : 'upstream local close');
  }

  /** tcp_proxy gives up on this connection: close the client now and drop the upstream. */
  private abort(reason: string): void {
    this.aborting = true;
    this.downstream.close('NoFlush', reason);
  }

  private readDisableDownstream(disable: boolean): void {
    if (this.downstream.state !== 'Open') return;
    this.downstream.readDisable(disable);
    if (disable) this.shared.stats.downstream_flow_control_paused_reading_total.inc();
    else this.shared.stats.downstream_flow_control_resumed_reading_total.inc();
  }

  private readDisableUpstream(disable: boolean): void {
    const upstream = this.upstream;
    if (!upstream || upstream.state !== 'Open') return;
    upstream.readDisable(disable);
    const stats = this.upstreamCluster?.info.stats;
    if (disable) stats?.upstream_flow_control_paused_reading_total.inc();
    else stats?.upstream_flow_control_resumed_reading_total.inc();
  }

  private onIdleTimeout(): void {
    this.shared.stats.idle_timeout.inc();
    this.abort('tcp_proxy: idle timeout');
  }

  /** An upstream still flushing what the client sent before it left (Envoy's drainer). */
  private trackUpstreamFlush(upstream: Connection): void {
    const stats = this.shared.stats;
    stats.upstream_flush_total.inc();
    stats.upstream_flush_active.inc();
    upstream.addConnectionCallbacks({
      onEvent: (event) => {
        if (event !== 'Connected') stats.upstream_flush_active.dec();
      },
    });
  }

  private cleanup(): void {
    this.idle.stop();
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.shared.sessions.delete(this);
  }
}

/** A connection closed with FlushWrite that is still writing out what it holds. */
function isFlushing(connection: Connection): boolean {
  return connection.state === 'Closing';
}
