import { Agent } from 'node:http';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { ServiceKey, type HopFailure, type Host, type ServerContext, type UpstreamCluster, type UpstreamRequester, type WorkerContext } from '@nodevoy/core';
import type { ConnectionDuplex } from '../connection-duplex.js';
import { commonHttpOptions, upstreamCodec, type UpstreamCodec } from '../protocol-options.js';
import { countedRequest } from './counted-request.js';
import { Http1UpstreamRequest } from './http1-request.js';
import { Http2UpstreamRequest } from './http2-request.js';
import type { RequestHead, UpstreamRequest, UpstreamRequestCallbacks } from './types.js';
import { UpstreamConnectError, connectUpstream, requesterOf } from './upstream-connector.js';

/**
 * The upstream HTTP connection pools of one server, per cluster, host and worker: HTTP/1.1
 * keep-alive (a node:http Agent on nodevoy connections) or one multiplexed HTTP/2 session.
 * The codec follows the cluster's protocol options, as in Envoy.
 */
export class HttpPools {
  private readonly agents = new Map<string, Agent>();
  private readonly sessions = new Map<string, ClientHttp2Session>();
  /** Per HTTP/2 session: what the inner side of its internal hop reported, if it gave up. */
  private readonly hopFailures = new WeakMap<ClientHttp2Session, () => HopFailure | undefined>();
  private readonly streamsServed = new WeakMap<ClientHttp2Session, number>();
  private readonly openStreams = new WeakMap<ClientHttp2Session, number>();
  /** Requests each pooled HTTP/1.1 connection has carried. */
  private readonly requestsServed = new WeakMap<object, number>();

  codecFor(cluster: UpstreamCluster): UpstreamCodec {
    return upstreamCodec(cluster.info);
  }

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
    const key = `${cluster.info.name}|${host.address.asString}|${worker.index}${depth}`;
    return countedRequest(cluster, host, callbacks, (counted) => {
      if (this.codecFor(cluster) === 'http2') {
        const session = this.session(key, cluster, host, worker, requester);
        const hopFailure = this.hopFailures.get(session) ?? (() => undefined);
        const stream = new Http2UpstreamRequest(session, head, endStream, counted, () => this.streamClosed(session), hopFailure);
        this.streamOpened(key, session, cluster);
        return stream;
      }
      const { maxRequestsPerConnection } = upstreamLimits(cluster);
      const upstream = new Http1UpstreamRequest(this.agent(key, cluster, host, worker), head, requester, counted, (socket) => {
        const served = (this.requestsServed.get(socket) ?? 0) + 1;
        this.requestsServed.set(socket, served);
        // The last request the connection may carry: it closes after the response.
        return served !== maxRequestsPerConnection;
      });
      if (endStream) upstream.sendData(Buffer.alloc(0), true);
      return upstream;
    });
  }

  /**
   * The server drains: idle pooled connections close now, busy ones once their request is done
   * (HTTP/2 with a GOAWAY), so the internal listeners behind them can drain too.
   */
  drain(): void {
    for (const agent of this.agents.values()) {
      (agent as Agent & { keepAlive: boolean }).keepAlive = false;
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    }
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    for (const session of this.sessions.values()) session.destroy();
    this.agents.clear();
    this.sessions.clear();
  }

  private agent(key: string, cluster: UpstreamCluster, host: Host, worker: WorkerContext): Agent {
    let agent = this.agents.get(key);
    if (!agent) {
      // The Agent closes a pooled connection idle for `timeout`; a busy one is the route timeout's.
      agent = new Agent({ keepAlive: true, maxSockets: cluster.info.maxConnections, scheduling: 'lifo', timeout: upstreamLimits(cluster).idleTimeoutMs });
      agent.createConnection = (options) => connectUpstream(cluster, host, worker, 'http1', requesterOf(options)) as never;
      this.agents.set(key, agent);
    }
    return agent;
  }

  private session(key: string, cluster: UpstreamCluster, host: Host, worker: WorkerContext, requester: UpstreamRequester | undefined): ClientHttp2Session {
    const existing = this.sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    let duplex: ConnectionDuplex | undefined;
    const session = connectHttp2(`http://${host.address.kind === 'socket' ? host.address.asString : 'internal'}`, {
      createConnection: () => (duplex = connectUpstream(cluster, host, worker, 'http2', requester)) as never,
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
    const { idleTimeoutMs } = upstreamLimits(cluster);
    // Idle means no open stream (Envoy's idle_timeout), not merely no frames.
    if (idleTimeoutMs > 0) session.setTimeout(idleTimeoutMs, () => (this.openStreams.get(session) ?? 0) === 0 && session.close());
    this.sessions.set(key, session);
    return session;
  }

  /** One more stream on `session`; at `max_requests_per_connection` it takes no more and drains. */
  private streamOpened(key: string, session: ClientHttp2Session, cluster: UpstreamCluster): void {
    const served = (this.streamsServed.get(session) ?? 0) + 1;
    this.streamsServed.set(session, served);
    this.openStreams.set(session, (this.openStreams.get(session) ?? 0) + 1);
    if (served === upstreamLimits(cluster).maxRequestsPerConnection) {
      this.sessions.delete(key);
      session.close();
    }
  }

  private streamClosed(session: ClientHttp2Session): void {
    this.openStreams.set(session, (this.openStreams.get(session) ?? 1) - 1);
  }
}

/** Envoy's upstream defaults: a 1 h idle timeout, unlimited requests per connection (0). */
function upstreamLimits(cluster: UpstreamCluster): { idleTimeoutMs: number; maxRequestsPerConnection: number } {
  const common = commonHttpOptions(cluster.info);
  return { idleTimeoutMs: common?.idle_timeout ?? 3_600_000, maxRequestsPerConnection: common?.max_requests_per_connection ?? 0 };
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
  }
  return pools;
}
