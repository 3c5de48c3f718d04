import { Agent } from 'node:http';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { ServiceKey, type Host, type ServerContext, type UpstreamCluster, type WorkerContext } from '@nodevoy/core';
import { upstreamCodec, type UpstreamCodec } from '../protocol-options.js';
import { countedRequest } from './counted-request.js';
import { Http1UpstreamRequest } from './http1-request.js';
import { Http2UpstreamRequest } from './http2-request.js';
import type { RequestHead, UpstreamRequest, UpstreamRequestCallbacks } from './types.js';
import { UpstreamConnectError, connectUpstream } from './upstream-connector.js';

/**
 * The upstream HTTP connection pools of one server, per cluster, host and worker: HTTP/1.1
 * keep-alive (a node:http Agent on nodevoy connections) or one multiplexed HTTP/2 session.
 * The codec follows the cluster's protocol options, as in Envoy.
 */
export class HttpPools {
  private readonly agents = new Map<string, Agent>();
  private readonly sessions = new Map<string, ClientHttp2Session>();

  codecFor(cluster: UpstreamCluster): UpstreamCodec {
    return upstreamCodec(cluster.info);
  }

  /** Starts a request on a pooled connection to `host`; everything else arrives via callbacks. */
  request(cluster: UpstreamCluster, host: Host, worker: WorkerContext, head: RequestHead, endStream: boolean, callbacks: UpstreamRequestCallbacks): UpstreamRequest {
    const key = `${cluster.info.name}|${host.address.asString}|${worker.index}`;
    return countedRequest(cluster, host, callbacks, (counted) => {
      if (this.codecFor(cluster) === 'http2') return new Http2UpstreamRequest(this.session(key, cluster, host, worker), head, endStream, counted);
      const upstream = new Http1UpstreamRequest(this.agent(key, cluster, host, worker), head, counted);
      if (endStream) upstream.sendData(Buffer.alloc(0), true);
      return upstream;
    });
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
      agent = new Agent({ keepAlive: true, maxSockets: cluster.info.maxConnections, scheduling: 'lifo' });
      agent.createConnection = () => connectUpstream(cluster, host, worker, 'http1') as never;
      this.agents.set(key, agent);
    }
    return agent;
  }

  private session(key: string, cluster: UpstreamCluster, host: Host, worker: WorkerContext): ClientHttp2Session {
    const existing = this.sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const session = connectHttp2(`http://${host.address.kind === 'socket' ? host.address.asString : 'internal'}`, {
      createConnection: () => connectUpstream(cluster, host, worker, 'http2') as never,
    });
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
    this.sessions.set(key, session);
    return session;
  }
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
  }
  return pools;
}
