import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { ServiceKey, type HopFailure, type Host, type ServerContext, type UpstreamCluster, type UpstreamRequester, type WorkerContext } from '@nodevoy/core';
import { ConnectionDuplex } from '../connection-duplex.js';
import { HTTP2_SESSION_MEMORY_MB } from '../http2-session-memory.js';
import { commonHttpOptions, http1Options, upstreamCodec, type UpstreamCodec } from '../protocol-options.js';
import { countedRequest } from './counted-request.js';
import { Http1Pool } from './http1/http1-pool.js';
import { Http2UpstreamRequest } from './http2-request.js';
import type { RequestHead, UpstreamRequest, UpstreamRequestCallbacks } from './types.js';
import { AwaitingCodecRequest } from './awaiting-codec-request.js';
import { UpstreamConnectError, connectUpstream, countCodec } from './upstream-connector.js';

/** What an `auto_config` cluster offers ALPN, in Envoy's order of preference. */
const ALPN_CHOICES = ['h2', 'http/1.1'] as const;
const ALPN_HTTP1 = ['http/1.1'] as const;

/**
 * The upstream HTTP connection pools of one server, per cluster, host and worker: HTTP/1.1
 * keep-alive (nodevoy's own codec on its connections) or one multiplexed HTTP/2 session.
 * The codec follows the cluster's protocol options, as in Envoy; with `auto_config` the first
 * connection's ALPN chooses it (HTTP/1.1 when ALPN chose nothing), and requests wait for that
 * handshake. HTTP/2 so chosen lasts as long as its session, then ALPN is asked again; HTTP/1.1
 * stays, and later connections offer only `http/1.1`.
 */
export class HttpPools {
  private readonly http1Pools = new Map<string, Http1Pool>();
  private readonly sessions = new Map<string, ClientHttp2Session>();
  /** Per HTTP/2 session: what the inner side of its internal hop reported, if it gave up. */
  private readonly hopFailures = new WeakMap<ClientHttp2Session, () => HopFailure | undefined>();
  private readonly streamsServed = new WeakMap<ClientHttp2Session, number>();
  private readonly openStreams = new WeakMap<ClientHttp2Session, number>();
  /** Per pool key of an `auto_config` cluster: the codec ALPN chose (HTTP/2: for the session it runs). */
  private readonly negotiated = new Map<string, UpstreamCodec>();
  /** Per pool key: the requests waiting for the handshake that will choose. */
  private readonly negotiating = new Map<string, AwaitingCodecRequest[]>();

  /**
   * Starts a request on a pooled connection to `host`; everything else arrives via callbacks.
   * A connection opened for this request inherits from `requester` its filter state objects
   * shared with upstream (Envoy's rule: a reused connection keeps its first requester's) and its
   * internal hop count.
   */
  request(
    cluster: UpstreamCluster,
    host: Host,
    worker: WorkerContext,
    head: RequestHead,
    endStream: boolean,
    requester: UpstreamRequester | undefined,
    callbacks: UpstreamRequestCallbacks,
  ): UpstreamRequest {
    // Requests at different depths of an internal chain never share a connection, so a loop
    // of internal hops (even one multiplexed on HTTP/2) goes one hop deeper each time.
    const depth = host.address.kind === 'envoy_internal' ? `|${requester?.internalHops ?? 0}` : '';
    const target: PoolTarget = { key: `${cluster.info.name}|${host.address.asString}|${worker.index}${depth}`, cluster, host, worker, requester };
    return countedRequest(cluster, host, callbacks, (counted) => {
      const start = (codec: UpstreamCodec) => this.start(codec, target, head, endStream, counted);
      const codec = upstreamCodec(cluster.info);
      if (codec !== 'alpn') return start(codec);
      const chosen = this.negotiated.get(target.key);
      // HTTP/2 runs on the session whose handshake chose it; once that is gone, ALPN is asked again.
      if (chosen === 'http1' || (chosen === 'http2' && this.liveSession(target.key))) return start(chosen);
      const waiting = new AwaitingCodecRequest(counted, start);
      this.negotiate(target).push(waiting);
      return waiting;
    });
  }

  private start(codec: UpstreamCodec, target: PoolTarget, head: RequestHead, endStream: boolean, callbacks: UpstreamRequestCallbacks): UpstreamRequest {
    if (codec === 'http2') {
      const session = this.session(target);
      const hopFailure = this.hopFailures.get(session) ?? (() => undefined);
      const stream = new Http2UpstreamRequest(session, head, endStream, callbacks, () => this.streamClosed(session), hopFailure);
      this.streamOpened(target.key, session, target.cluster);
      return stream;
    }
    return this.http1Pool(target).request(head, endStream, target.requester, callbacks);
  }

  /**
   * The requests waiting for `key`'s codec, opening the connection whose ALPN chooses it if none
   * is under way. That connection then serves: as the HTTP/2 session, or the HTTP/1.1 pool's first.
   */
  private negotiate(target: PoolTarget): AwaitingCodecRequest[] {
    const { key, cluster, host, worker, requester } = target;
    const existing = this.negotiating.get(key);
    if (existing) return existing;
    const waiting: AwaitingCodecRequest[] = [];
    this.negotiating.set(key, waiting);
    cluster.newTcpConnection(
      host,
      worker,
      {
        onPoolReady: (connection) => {
          this.negotiating.delete(key);
          const codec: UpstreamCodec = connection.ssl?.alpn === 'h2' ? 'http2' : 'http1';
          this.negotiated.set(key, codec);
          countCodec(cluster, codec);
          // Envoy's mixed pool counts the connection again as the codec's client adopts it.
          cluster.info.stats.upstream_cx_total.inc();
          host.stats.cx_total++;
          if (codec === 'http2') {
            const duplex = new ConnectionDuplex();
            duplex.attach(connection);
            this.session(target, duplex);
          } else if (waiting.some((request) => request.waiting)) {
            this.http1Pool(target).adopt(connection);
          } else {
            connection.close('NoFlush', 'no request left');
          }
          for (const request of waiting) request.proceed(codec);
        },
        onPoolFailure: (reason, detail) => {
          if (this.negotiating.get(key) !== waiting) return;
          this.negotiating.delete(key);
          const failure = new UpstreamConnectError(reason, detail).failure;
          for (const request of waiting) request.fail(failure);
        },
      },
      { countsAsRequest: false, requester, alpnFallback: ALPN_CHOICES },
    );
    return waiting;
  }

  /**
   * The server drains: idle pooled connections close now, busy ones once their request is done
   * (HTTP/2 with a GOAWAY), so the internal listeners behind them can drain too.
   */
  drain(): void {
    for (const pool of this.http1Pools.values()) pool.drain();
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }

  /**
   * The cluster was replaced or removed (CDS): its pooled connections take no new request and
   * close once idle, and its next requests open pools on the new cluster.
   */
  drainCluster(name: string): void {
    const ofCluster = (key: string) => key.startsWith(`${name}|`);
    for (const [key, pool] of this.http1Pools) {
      if (!ofCluster(key)) continue;
      this.http1Pools.delete(key);
      pool.drain();
    }
    for (const [key, session] of this.sessions) {
      if (!ofCluster(key)) continue;
      this.sessions.delete(key);
      session.close();
    }
    for (const key of this.negotiated.keys()) if (ofCluster(key)) this.negotiated.delete(key);
  }

  close(): void {
    for (const pool of this.http1Pools.values()) pool.close();
    for (const session of this.sessions.values()) session.destroy();
    this.http1Pools.clear();
    this.sessions.clear();
  }

  private http1Pool({ key, cluster, host, worker }: PoolTarget): Http1Pool {
    let pool = this.http1Pools.get(key);
    if (!pool) {
      const { idleTimeoutMs, maxRequestsPerConnection, maxConnectionDurationMs } = upstreamLimits(cluster);
      pool = new Http1Pool(cluster, host, worker, {
        maxConnections: cluster.info.resources.DEFAULT.connections.max,
        idleTimeoutMs,
        maxConnectionDurationMs,
        maxRequestsPerConnection,
        allowChunkedLength: http1Options(cluster.info)?.allow_chunked_length ?? false,
        ...(upstreamCodec(cluster.info) === 'alpn' ? { alpnFallback: ALPN_HTTP1 } : {}),
      });
      this.http1Pools.set(key, pool);
    }
    return pool;
  }

  /** `key`'s HTTP/2 session; a new one opens a connection, or runs on `connected` (whose ALPN chose HTTP/2). */
  private session({ key, cluster, host, worker, requester }: PoolTarget, connected?: ConnectionDuplex): ClientHttp2Session {
    const existing = this.liveSession(key);
    if (existing) return existing;
    let duplex = connected;
    const session = connectHttp2(`http://${host.address.kind === 'socket' ? host.address.asString : 'internal'}`, {
      createConnection: () => (duplex ??= connectUpstream(cluster, host, worker, { codec: 'http2', requester })) as never,
      maxSessionMemory: HTTP2_SESSION_MEMORY_MB,
    });
    this.hopFailures.set(session, () => duplex?.connection?.hopFailure);
    const forget = () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    };
    session.on('error', (error: Error) => {
      forget();
      // Streams waiting on a connection that never came fail with the connect error.
      if (error instanceof UpstreamConnectError) session.destroy(error);
    });
    session.on('goaway', forget);
    session.on('close', forget);
    const { idleTimeoutMs, maxConnectionDurationMs } = upstreamLimits(cluster);
    // Idle means no open stream (Envoy's idle_timeout), not merely no frames.
    if (idleTimeoutMs > 0) {
      session.setTimeout(idleTimeoutMs, () => {
        if ((this.openStreams.get(session) ?? 0) > 0) return;
        cluster.info.stats.upstream_cx_idle_timeout.inc();
        session.close();
      });
    }
    if (maxConnectionDurationMs > 0) {
      // Past its age the session takes no new stream (GOAWAY) and closes once its streams end.
      const lifetime = setTimeout(() => {
        cluster.info.stats.upstream_cx_max_duration_reached.inc();
        forget();
        session.close();
      }, maxConnectionDurationMs);
      session.once('close', () => clearTimeout(lifetime));
    }
    this.sessions.set(key, session);
    return session;
  }

  private liveSession(key: string): ClientHttp2Session | undefined {
    const session = this.sessions.get(key);
    return session && !session.closed && !session.destroyed ? session : undefined;
  }

  /** One more stream on `session`; at `max_requests_per_connection` it takes no more and drains. */
  private streamOpened(key: string, session: ClientHttp2Session, cluster: UpstreamCluster): void {
    const served = (this.streamsServed.get(session) ?? 0) + 1;
    this.streamsServed.set(session, served);
    this.openStreams.set(session, (this.openStreams.get(session) ?? 0) + 1);
    if (served === upstreamLimits(cluster).maxRequestsPerConnection) {
      cluster.info.stats.upstream_cx_max_requests.inc();
      this.sessions.delete(key);
      session.close();
    }
  }

  private streamClosed(session: ClientHttp2Session): void {
    this.openStreams.set(session, (this.openStreams.get(session) ?? 1) - 1);
  }
}

/** One pool: a cluster's host, from one worker (and one depth of an internal chain), keyed. */
interface PoolTarget {
  readonly key: string;
  readonly cluster: UpstreamCluster;
  readonly host: Host;
  readonly worker: WorkerContext;
  /** Who the request that opens a connection is for (its filter state and hop count travel with it). */
  readonly requester: UpstreamRequester | undefined;
}

/** Envoy's upstream defaults: a 1 h idle timeout, unlimited requests per connection and connection age (0). */
function upstreamLimits(cluster: UpstreamCluster): { idleTimeoutMs: number; maxRequestsPerConnection: number; maxConnectionDurationMs: number } {
  const common = commonHttpOptions(cluster.info);
  return {
    idleTimeoutMs: common?.idle_timeout ?? 3_600_000,
    maxRequestsPerConnection: common?.max_requests_per_connection ?? 0,
    maxConnectionDurationMs: common?.max_connection_duration ?? 0,
  };
}

export const HTTP_POOLS = new ServiceKey<HttpPools>('http connection pools');

/** The server's HTTP pools, created on first use (by the router or a tunneling tcp_proxy). */
export function httpPools(server: ServerContext): HttpPools {
  let pools = server.services.get(HTTP_POOLS);
  if (!pools) {
    const created = new HttpPools();
    pools = created;
    server.services.set(HTTP_POOLS, created);
    server.lifecycle.onShutdown(() => created.close());
    server.lifecycle.onDrain(() => created.drain());
    server.clusterManager.onClusterChange((name) => created.drainCluster(name));
  }
  return pools;
}
