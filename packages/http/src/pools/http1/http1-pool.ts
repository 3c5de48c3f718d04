import type { Connection, Host, UpstreamCluster, UpstreamRequester, WorkerContext } from '@nodevoy/core';
import type { RequestHead, UpstreamRequest, UpstreamRequestCallbacks } from '../types.js';
import { UpstreamConnectError, countCodec } from '../upstream-connector.js';
import { Http1ClientConnection, type Http1ConnectionOwner } from './http1-client-connection.js';
import { Http1UpstreamRequest, type Http1ConnectionSource } from './http1-upstream-request.js';

export interface Http1PoolLimits {
  /** Connections open at once (the cluster's `max_connections` circuit breaker). */
  readonly maxConnections: number;
  /** A pooled connection idle this long closes (0: never). */
  readonly idleTimeoutMs: number;
  /** A connection this old takes no new request and closes once idle (0: no limit). */
  readonly maxConnectionDurationMs: number;
  /** Requests one connection carries before it closes (0: no limit). */
  readonly maxRequestsPerConnection: number;
  /** `allow_chunked_length`: a response with both a length and chunks is read as chunked. */
  readonly allowChunkedLength: boolean;
  /** ALPN to offer on new connections where the transport socket configures none. */
  readonly alpnFallback?: readonly string[];
}

/**
 * The HTTP/1.1 keep-alive pool of one cluster host (per worker and internal-chain depth), on
 * nodevoy's own codec: idle connections are reused last-in first-out; a request with none idle
 * opens one while the pool is under `max_connections`, else waits in order for one to come back.
 */
export class Http1Pool implements Http1ConnectionSource, Http1ConnectionOwner {
  private readonly idle: Http1ClientConnection[] = [];
  private readonly waiting: Http1UpstreamRequest[] = [];
  private readonly all = new Set<Http1ClientConnection>();
  private connecting = 0;
  private draining = false;

  constructor(
    private readonly cluster: UpstreamCluster,
    private readonly host: Host,
    private readonly worker: WorkerContext,
    private readonly limits: Http1PoolLimits,
  ) {}

  /** Starts a request; `requester` is who a connection opened for it is for. */
  request(head: RequestHead, headersOnly: boolean, requester: UpstreamRequester | undefined, callbacks: UpstreamRequestCallbacks): UpstreamRequest {
    return new Http1UpstreamRequest(this, head, headersOnly, requester, callbacks);
  }

  /** A connection the ALPN handshake of an `auto_config` cluster chose HTTP/1.1 on: the pool's from now on. */
  adopt(raw: Connection): void {
    this.released(this.attach(raw));
  }

  acquire(request: Http1UpstreamRequest, requester: UpstreamRequester | undefined): void {
    this.waiting.push(request);
    if (this.idle.length > 0) {
      queueMicrotask(() => this.serveWaiting());
      return;
    }
    if (this.all.size + this.connecting < Math.max(1, this.limits.maxConnections)) this.open(requester);
  }

  cancel(request: Http1UpstreamRequest): void {
    const index = this.waiting.indexOf(request);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  released(connection: Http1ClientConnection): void {
    if (this.draining || connection.closed) {
      connection.close('pool draining');
      return;
    }
    this.all.add(connection);
    const next = this.waiting.shift();
    if (next) {
      this.assign(next, connection);
      return;
    }
    this.idle.push(connection);
    if (this.limits.idleTimeoutMs > 0) {
      connection.idleTimer = setTimeout(() => {
        this.cluster.info.stats.upstream_cx_idle_timeout.inc();
        connection.close('idle timeout');
      }, this.limits.idleTimeoutMs);
    }
  }

  closed(connection: Http1ClientConnection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    // A request still waiting gets the room this connection leaves.
    this.openForWaiting();
  }

  closeNotified(): void {
    this.cluster.info.stats.upstream_cx_close_notify.inc();
  }

  protocolError(): void {
    this.cluster.info.stats.upstream_cx_protocol_error.inc();
  }

  /** Takes no new request: idle connections close now, busy ones after their exchange. */
  drain(): void {
    this.draining = true;
    for (const connection of this.idle.splice(0)) connection.close('pool draining');
    for (const connection of this.all) connection.closeAfterExchange = true;
  }

  close(): void {
    this.draining = true;
    for (const connection of [...this.all]) connection.abort('pool closed');
    this.idle.length = 0;
  }

  /** Opens a connection for a waiting request if the pool has room and none is on its way. */
  private openForWaiting(): void {
    if (this.waiting.length > this.connecting && !this.draining && this.all.size + this.connecting < Math.max(1, this.limits.maxConnections)) this.open(undefined);
  }

  private serveWaiting(): void {
    while (this.waiting.length > 0) {
      const connection = this.idle.pop();
      if (!connection) return;
      clearTimeout(connection.idleTimer);
      const next = this.waiting.shift() as Http1UpstreamRequest;
      this.assign(next, connection);
    }
  }

  private assign(request: Http1UpstreamRequest, connection: Http1ClientConnection): void {
    request.ready(connection);
    if (connection.served === this.limits.maxRequestsPerConnection && !connection.closeAfterExchange) {
      connection.closeAfterExchange = true;
      this.cluster.info.stats.upstream_cx_max_requests.inc();
    }
  }

  /** `max_connection_duration` reached: an idle connection closes now, a busy one after its exchange. */
  private expire(connection: Http1ClientConnection): void {
    if (connection.closed) return;
    this.cluster.info.stats.upstream_cx_max_duration_reached.inc();
    const index = this.idle.indexOf(connection);
    if (index >= 0) {
      this.idle.splice(index, 1);
      connection.close('max connection duration');
    } else connection.closeAfterExchange = true;
  }

  /** The pool's client codec on a new connection, its `max_connection_duration` clock started. */
  private attach(raw: Connection): Http1ClientConnection {
    const connection = new Http1ClientConnection(raw, this, this.limits.allowChunkedLength);
    this.all.add(connection);
    if (this.limits.maxConnectionDurationMs > 0) connection.lifetimeTimer = setTimeout(() => this.expire(connection), this.limits.maxConnectionDurationMs);
    return connection;
  }

  private open(requester: UpstreamRequester | undefined): void {
    this.connecting++;
    countCodec(this.cluster, 'http1');
    this.cluster.newTcpConnection(
      this.host,
      this.worker,
      {
        onPoolReady: (raw) => {
          this.connecting--;
          const connection = this.attach(raw);
          if (this.draining) connection.closeAfterExchange = true;
          const next = this.waiting.shift();
          if (next) this.assign(next, connection);
          else this.released(connection);
        },
        onPoolFailure: (reason, detail) => {
          this.connecting--;
          // The oldest waiting request learns of the failure, as the one that opened it would;
          // the others get an attempt of their own.
          this.waiting.shift()?.failed(new UpstreamConnectError(reason, detail).failure);
          this.openForWaiting();
        },
      },
      { countsAsRequest: false, requester, ...(this.limits.alpnFallback ? { alpnFallback: this.limits.alpnFallback } : {}) },
    );
  }
}
