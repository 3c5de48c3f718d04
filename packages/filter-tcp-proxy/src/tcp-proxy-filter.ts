import {
  upstreamTransportFailureReason,
  type ClusterManagerApi,
  type Connection,
  type HopFailure,
  type ConnectionCallbacks,
  type ConnectionEvent,
  type FilterStatus,
  type Host,
  type Logger,
  type PoolFailureReason,
  type ReadFilter,
  type ReadFilterCallbacks,
  type UpstreamCluster,
  type UpstreamRequester,
} from '@nodevoy/core';
import type { ResponseHead } from '@nodevoy/http';
import { sessionAccessLog, type SessionAccessLog, type TcpAccessLogConfig } from './access-log.js';
import { IdleTimer } from './idle-timer.js';
import { poolHopFailure, tunnelHopFailure } from './inner-hop-failure.js';
import type { TcpProxyStats } from './stats.js';
import type { TcpHashInput } from './hash-policy.js';
import type { TunnelFailure, TunnelUpstream } from './tunnel-upstream.js';
import type { TunnelOpener } from './tunneling.js';
import { TcpUpstream, type UpstreamLink, type UpstreamLinkEvents } from './upstream-link.js';

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
  /** Set when `tunneling_config` is: the upstream is a CONNECT/POST tunnel. */
  readonly tunnel: TunnelOpener | undefined;
  readonly log: Logger;
  /** Live sessions, for the `*_buffered` gauges. */
  readonly sessions: Set<TcpProxyFilter>;
  readonly accessLog: TcpAccessLogConfig;
  /** `hash_policy`: the connection's hash for RING_HASH and MAGLEV clusters. */
  readonly hash: ((input: TcpHashInput) => bigint | undefined) | undefined;
}

/** Filter state key where `propagate_response_headers` puts the tunnel's response headers. */
export const PROPAGATED_RESPONSE_HEADERS = 'envoy.tcp_proxy.propagate_response_headers';

/**
 * `envoy.filters.network.tcp_proxy` on one downstream connection. Downstream reads wait until
 * the upstream (a TCP connection, or a tunnel's 2xx) is ready; then bytes flow both ways,
 * half-close and resets are proxied, and each side's watermarks pause reading on the other.
 */
export class TcpProxyFilter implements ReadFilter, ConnectionCallbacks {
  private downstream!: Connection;
  private accessLog!: SessionAccessLog;
  private upstream: UpstreamLink | undefined;
  private upstreamCluster: UpstreamCluster | undefined;
  private cancelPending: (() => void) | undefined;
  private connectAttempts = 0;
  private downstreamClosed = false;
  /** Set when tcp_proxy itself gives up on the connection: the upstream is dropped, not flushed. */
  private aborting = false;
  private readonly idle: IdleTimer;
  private durationTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private upstreamPaused = false;
  private downstreamPaused = false;
  /** Why the last connect attempt failed, for the hop that opened an internal connection. */
  private lastFailure: HopFailure | undefined;
  /** What the upstream side reports: its bytes, its end, and its write-buffer watermarks. */
  private readonly upstreamEvents: UpstreamLinkEvents = {
    onData: (data, endStream) => {
      this.idle.touch();
      this.downstream.write(data, endStream);
    },
    onClosed: (reset, reason) => {
      if (this.downstreamClosed) return;
      this.downstream.close(reset ? 'AbortReset' : 'FlushWrite', reset ? 'upstream reset' : reason);
    },
    onAboveWriteBufferHighWatermark: () => this.readDisableDownstream(true),
    onBelowWriteBufferLowWatermark: () => this.readDisableDownstream(false),
  };

  constructor(private readonly shared: TcpProxySharedConfig) {
    this.idle = new IdleTimer(shared.idleTimeoutMs, () => this.onIdleTimeout());
  }

  get downstreamConnection(): Connection {
    return this.downstream;
  }

  initializeReadFilterCallbacks(callbacks: ReadFilterCallbacks): void {
    const stats = this.shared.stats;
    this.downstream = callbacks.connection;
    this.accessLog = sessionAccessLog(this.shared.accessLog, this.downstream, this.shared.log);
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
    this.accessLog.start();
    const maxDuration = this.shared.maxDownstreamConnectionDurationMs();
    if (maxDuration !== undefined) {
      this.durationTimer = setTimeout(() => {
        this.shared.stats.max_downstream_connection_duration.inc();
        this.downstream.info.responseFlags.set('DT');
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
    this.accessLog.end();
    this.cancelPending?.();
    this.cancelPending = undefined;
    const upstream = this.upstream;
    if (!upstream) return;
    if (this.aborting) {
      upstream.close('now', 'tcp_proxy closed the downstream');
      return;
    }
    // A reset travels on as a reset (Envoy 1.40 does this across internal hops too).
    if (this.downstream.detectedCloseType === 'RemoteReset') {
      upstream.close('reset', 'downstream reset');
      return;
    }
    // The client is done: what it sent still reaches the upstream, then the upstream closes.
    upstream.close('flush', event === 'RemoteClose' ? 'downstream remote close' : 'downstream local close');
    if (event === 'RemoteClose' && upstream.flushing) this.trackUpstreamFlush(upstream);
  }

  /** The client is not reading fast enough: stop reading the upstream. */
  onAboveWriteBufferHighWatermark(): void {
    this.readDisableUpstream(true);
  }

  onBelowWriteBufferLowWatermark(): void {
    this.readDisableUpstream(false);
  }

  private establishUpstream(): void {
    this.backoffTimer = undefined;
    if (this.downstreamClosed) return;
    const info = this.downstream.info;
    const name = this.shared.pickCluster();
    const cluster = this.shared.clusterManager.getCluster(name);
    if (!cluster) {
      this.shared.stats.downstream_cx_no_route.inc();
      info.responseFlags.set('NC');
      this.abort(`tcp_proxy: no cluster '${name}'`);
      return;
    }
    this.upstreamCluster = cluster;
    info.upstreamCluster = name;
    if (this.connectAttempts >= this.shared.maxConnectAttempts) {
      cluster.info.stats.upstream_cx_connect_attempts_exceeded.inc();
      info.responseFlags.set('URX');
      this.abort('tcp_proxy: upstream connect attempts exceeded');
      return;
    }
    const restored = this.downstream.info.restoredLocalAddress;
    const host = cluster.chooseHost({ ...(restored ? { originalDestination: restored } : {}), ...this.hashKey() });
    if (!host) {
      cluster.info.stats.upstream_cx_none_healthy.inc();
      info.responseFlags.set('UH');
      this.abort('tcp_proxy: no healthy upstream');
      return;
    }
    info.upstreamHost = host.address;
    this.connectAttempts++;
    if (this.shared.tunnel) {
      this.cancelPending = this.shared.tunnel.open(cluster, host, this.downstream, {
        onEstablished: (link, response) => {
          cluster.outlier.putResult(host, 'LocalOriginConnectSuccessFinal');
          this.onTunnelEstablished(link, response);
        },
        onFailed: (failure) => {
          cluster.outlier.putResult(host, 'LocalOriginConnectFailed');
          this.lastFailure = tunnelHopFailure(failure, this.shared.tunnel?.propagateResponseHeaders ?? false);
          this.recordFailure('RemoteConnectionFailure', failure.detail);
          this.onAttemptFailed(host, failure.detail, failure);
        },
      });
      return;
    }
    const handle = cluster.newTcpConnection(host, this.downstream.worker, {
      onPoolReady: (connection) => {
        this.cancelPending = undefined;
        // Connected is all tcp_proxy learns of a host: a success for outlier detection.
        cluster.outlier.putResult(host, 'LocalOriginConnectSuccessFinal');
        if (this.downstreamClosed) {
          connection.close('NoFlush', 'downstream closed while connecting');
          return;
        }
        info.upstreamLocalAddress = connection.localAddress;
        this.onUpstreamReady(new TcpUpstream(connection, this.upstreamEvents));
      },
      onPoolFailure: (reason, detail) => {
        if (reason !== 'Overflow') cluster.outlier.putResult(host, reason === 'Timeout' ? 'LocalOriginTimeout' : 'LocalOriginConnectFailed');
        this.lastFailure = poolHopFailure(reason, detail);
        this.recordFailure(reason, detail);
        this.onAttemptFailed(host, `${reason}: ${detail}`, undefined);
      },
    }, { requester: this.requester() });
    this.cancelPending = () => handle.cancel();
  }

  /** The connection's hash by `hash_policy`, computed when a hashing balancer asks. */
  private hashKey(): { hashKey?: () => bigint | undefined } {
    const hash = this.shared.hash;
    if (!hash) return {};
    const { info, remoteAddress } = this.downstream;
    return {
      hashKey: () =>
        hash({
          remoteIp: remoteAddress.kind === 'socket' ? remoteAddress.ip : undefined,
          filterStateString: (key) => {
            const value = info.filterState.get(key);
            return typeof value === 'string' ? value : undefined;
          },
        }),
    };
  }

  /** What an upstream connection opened for this downstream one inherits from it. */
  private requester(): UpstreamRequester {
    const { info, localAddress, remoteAddress } = this.downstream;
    return { filterState: info.filterState, internalHops: info.internalHops, downstreamAddresses: { local: localAddress, remote: remoteAddress } };
  }

  private onTunnelEstablished(link: TunnelUpstream, response: ResponseHead): void {
    this.cancelPending = undefined;
    if (this.downstreamClosed) {
      link.close('now', 'downstream closed while the tunnel was set up');
      return;
    }
    if (this.shared.tunnel?.propagateResponseHeaders) this.downstream.info.filterState.set(PROPAGATED_RESPONSE_HEADERS, response.headers);
    link.bind(this.upstreamEvents);
    this.onUpstreamReady(link);
  }

  private onUpstreamReady(link: UpstreamLink): void {
    this.upstream = link;
    this.idle.touch();
    this.downstream.readDisable(false);
    this.accessLog.onUpstreamConnected();
  }

  /** What access logs say about a failed attempt: Envoy's flag and transport failure reason. */
  private recordFailure(reason: PoolFailureReason, detail: string): void {
    const info = this.downstream.info;
    info.responseFlags.set(reason === 'Overflow' ? 'UO' : 'UF');
    info.upstreamTransportFailureReason = upstreamTransportFailureReason(detail);
  }

  private onAttemptFailed(host: Host, detail: string, tunnelFailure: TunnelFailure | undefined): void {
    this.cancelPending = undefined;
    if (this.downstreamClosed) return;
    if (tunnelFailure?.response && this.shared.tunnel?.propagateResponseHeaders) {
      this.downstream.info.filterState.set(PROPAGATED_RESPONSE_HEADERS, tunnelFailure.response.headers);
    }
    this.shared.log.debug(`[C${this.downstream.id}] tcp_proxy: upstream ${host.address.asString} failed: ${detail}`);
    const backoff = this.shared.backoff;
    if (backoff && this.connectAttempts < this.shared.maxConnectAttempts) {
      const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (this.connectAttempts - 1));
      this.backoffTimer = setTimeout(() => this.establishUpstream(), Math.random() * ceiling);
      return;
    }
    this.establishUpstream();
  }

  private readDisableDownstream(disable: boolean): void {
    if (this.downstream.state !== 'Open' || this.downstreamPaused === disable) return;
    this.downstreamPaused = disable;
    this.downstream.readDisable(disable);
    if (disable) this.shared.stats.downstream_flow_control_paused_reading_total.inc();
    else this.shared.stats.downstream_flow_control_resumed_reading_total.inc();
  }

  private readDisableUpstream(disable: boolean): void {
    const upstream = this.upstream;
    if (!upstream || this.upstreamPaused === disable) return;
    this.upstreamPaused = disable;
    upstream.readDisable(disable);
    const stats = this.upstreamCluster?.info.stats;
    if (disable) stats?.upstream_flow_control_paused_reading_total.inc();
    else stats?.upstream_flow_control_resumed_reading_total.inc();
  }

  private onIdleTimeout(): void {
    this.shared.stats.idle_timeout.inc();
    this.abort('tcp_proxy: idle timeout');
  }

  /** tcp_proxy gives up on this connection: close the client now and drop the upstream. */
  private abort(reason: string): void {
    this.aborting = true;
    if (this.lastFailure && !this.upstream) this.downstream.reportHopFailure(this.lastFailure);
    this.downstream.close('NoFlush', reason);
  }

  /** An upstream still flushing what the client sent before it left (Envoy's drainer). */
  private trackUpstreamFlush(upstream: UpstreamLink): void {
    const stats = this.shared.stats;
    stats.upstream_flush_total.inc();
    stats.upstream_flush_active.inc();
    upstream.onFlushed(() => stats.upstream_flush_active.dec());
  }

  private cleanup(): void {
    this.idle.stop();
    if (this.durationTimer) clearTimeout(this.durationTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.shared.sessions.delete(this);
  }
}
