import { randomUUID } from 'node:crypto';
import { REQUEST_PASSTHROUGH_HEADER, RequestInfo, emitAccessLogs, mergePassthrough, type Connection, type ConnectionInfo, type FormatContext } from '@nodevoy/core';
import { upgradeRequested, type HeaderMap } from '@nodevoy/http';
import type { DownstreamStream } from './codec/downstream-stream.js';
import type { DownstreamConnection } from './downstream-connection.js';
import type { DecoderFilterCallbacks, EncoderFilterCallbacks, HttpFilter, LocalReply } from './http-filter.js';
import type { HcmRuntime } from './hcm-runtime.js';
import { LocalReplies, localReplyHeaders, responseFlagsFor } from './local-reply.js';
import type { ResolvedRoute } from './routing/route-table.js';
import { statusClass } from './stats.js';
import { StreamTimeouts } from './stream-timeouts.js';
import { applyUnderscoresAction, normalizePath, stripHostPort } from './request-normalization.js';

type Pending = { readonly kind: 'data'; readonly data: Buffer; readonly endStream: boolean } | { readonly kind: 'trailers'; readonly trailers: HeaderMap };

/**
 * One request through the connection manager (Envoy's ActiveStream): the request-header
 * rules, the route, the HTTP filter chain (decoder filters in order, encoder filters in
 * reverse), the response-header rules, and the stats of it all.
 */
export class ActiveStream implements DecoderFilterCallbacks, EncoderFilterCallbacks {
  readonly streamId: number;
  readonly requestInfo: RequestInfo;
  private readonly filters: HttpFilter[] = [];
  private resolvedRoute: ResolvedRoute | undefined;
  /**
   * The last filter that has seen the request headers. A filter that returns `stop` from
   * `decodeHeaders` still gets the body (as in Envoy); the filters after it get nothing until it
   * continues, and the body waits for them in `pendingDecode`.
   */
  private headersReached = -1;
  private headersStopped = false;
  private pendingDecode: Pending[] = [];
  private responseStarted = false;
  private complete = false;
  /** An accepted CONNECT or upgrade: counted in `downstream_cx_upgrades_*` while it lives. */
  private upgraded = false;
  /** An HTTP/2 tunnel whose response ended first: the stream lives on until the request ends. */
  private responseEnded = false;
  /** The downstream sent its whole request (end of stream). */
  private requestComplete = false;
  private readonly startMs = performance.now();
  private readonly timeouts: StreamTimeouts;
  /** For access logs: what was answered, why, and how many body bytes went each way. */
  private responseHeaders: HeaderMap | undefined;
  private responseDetails: string | undefined;
  private bytesReceived = 0;
  private bytesSent = 0;

  constructor(
    private readonly runtime: HcmRuntime,
    private readonly downstream: DownstreamStream,
    readonly connection: Connection,
    private readonly downstreamConnection: DownstreamConnection,
  ) {
    this.streamId = runtime.nextStreamId();
    this.requestInfo = new RequestInfo(connection.info);
    this.timeouts = new StreamTimeouts(
      runtime.streamIdleTimeoutMs,
      runtime.requestTimeoutMs,
      () => this.onTimeout('downstream_rq_idle_timeout', LocalReplies.streamIdleTimeout()),
      () => this.onTimeout('downstream_rq_timeout', LocalReplies.requestTimeout()),
    );
  }

  get connectionInfo(): ConnectionInfo {
    return this.connection.info;
  }

  start(): void {
    const { stats } = this.runtime;
    const downstream = this.downstream;
    stats.downstream_rq_total.inc();
    stats.downstream_rq_active.inc();
    if (this.downstreamConnection.streamStarted() === this.runtime.maxRequestsPerConnection) this.downstream.drainConnection();
    if (downstream.protocol === 'HTTP/2') stats.downstream_rq_http2_total.inc();
    else stats.downstream_rq_http1_total.inc();
    if (downstream.headersEndStream) this.onRequestComplete();
    downstream.start({
      onData: (data, endStream) => {
        this.timeouts.activity();
        if (endStream) this.onRequestComplete();
        this.decodeData(data, endStream);
        if (endStream && this.responseEnded) this.finish();
      },
      onTrailers: (trailers) => {
        this.timeouts.activity();
        this.onRequestComplete();
        this.decodeTrailers(trailers);
        if (this.responseEnded) this.finish();
      },
      onReset: () => this.onDownstreamReset(),
    });
    const headers = downstream.headers;
    this.takePassthrough(headers);
    if (downstream.protocol === 'HTTP/1.0' && !this.runtime.acceptHttp10) {
      downstream.closeConnectionAfterResponse();
      this.sendLocalReply(LocalReplies.http10NotAllowed());
      return;
    }
    if (!headers.has(':authority')) {
      downstream.closeConnectionAfterResponse();
      this.sendLocalReply(LocalReplies.missingHost());
      return;
    }
    if (!this.normalizeRequest(headers)) return;
    this.mutateRequestHeaders(headers);
    this.resolvedRoute = this.runtime.routes.resolve(headers);
    const routeIdleTimeout = this.resolvedRoute?.action?.idle_timeout;
    if (routeIdleTimeout !== undefined) this.timeouts.setIdleTimeout(routeIdleTimeout);
    // CONNECT and HTTP/1.1 upgrades (websocket) need the route's or the connection manager's consent.
    const upgrade = headers.get(':method') === 'CONNECT' ? 'CONNECT' : upgradeRequested(headers);
    if (upgrade !== undefined && this.resolvedRoute && !this.resolvedRoute.upgrade(upgrade).allowed) {
      stats.downstream_rq_ws_on_non_ws_route.inc();
      downstream.closeConnectionAfterResponse();
      this.sendLocalReply(LocalReplies.upgradeNotAllowed());
      return;
    }
    if (upgrade !== undefined) {
      this.upgraded = true;
      stats.downstream_cx_upgrades_total.inc();
      stats.downstream_cx_upgrades_active.inc();
    }
    for (const factory of this.runtime.filterFactories) factory((filter) => this.filters.push(filter));
    for (const filter of this.filters) {
      filter.setDecoderFilterCallbacks?.(this);
      filter.setEncoderFilterCallbacks?.(this);
    }
    this.decodeHeadersFrom(0, headers, downstream.headersEndStream);
  }

  /** A request that crossed an internal hop brings its own state (nodevoy's per-request passthrough). */
  private takePassthrough(headers: HeaderMap): void {
    const tag = headers.get(REQUEST_PASSTHROUGH_HEADER);
    if (tag === undefined) return;
    headers.remove(REQUEST_PASSTHROUGH_HEADER);
    const bundle = this.runtime.requestPassthrough.take(tag);
    if (bundle) mergePassthrough(bundle, this.requestInfo);
  }

  // DecoderFilterCallbacks

  route(): ResolvedRoute | undefined {
    return this.resolvedRoute;
  }

  continueDecoding(): void {
    if (!this.headersStopped) return;
    this.headersStopped = false;
    const from = this.headersReached + 1;
    this.decodeHeadersFrom(from, this.downstream.headers, this.downstream.headersEndStream);
    const pending = this.pendingDecode;
    this.pendingDecode = [];
    for (const item of pending) {
      if (item.kind === 'data') this.decodeDataFrom(from, item.data, item.endStream);
      else this.decodeTrailersFrom(from, item.trailers);
    }
  }

  continueEncoding(): void {}

  sendLocalReply(reply: LocalReply): void {
    if (this.complete) return;
    if (this.responseStarted) {
      this.resetStream();
      return;
    }
    this.runtime.log.debug(`[C${this.connection.id}][S${this.streamId}] local reply ${reply.status} (${reply.details})`);
    this.responseDetails = reply.details;
    const body = Buffer.from(reply.body ?? '');
    const headers = localReplyHeaders(reply);
    reply.mutateHeaders?.(headers);
    this.encodeHeaders(headers, body.length === 0);
    if (body.length > 0) this.encodeData(body, true);
  }

  get tunnelHalfCloses(): boolean {
    return this.upgraded && this.downstream.protocol === 'HTTP/2';
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.complete || this.responseEnded) return;
    this.responseStarted = true;
    this.responseDetails ??= 'via_upstream';
    this.timeouts.activity();
    for (let i = this.filters.length - 1; i >= 0; i--) this.filters[i]?.encodeHeaders?.(headers, endStream);
    this.finalizeResponseHeaders(headers);
    const status = Number(headers.get(':status') ?? 0);
    this.responseHeaders = headers;
    this.runtime.stats[statusClass(status)].inc();
    this.downstream.respondHeaders(headers, endStream);
    if (endStream) this.responseComplete();
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    if (this.complete || this.responseEnded) return true;
    this.timeouts.activity();
    for (let i = this.filters.length - 1; i >= 0; i--) this.filters[i]?.encodeData?.(data, endStream);
    this.bytesSent += data.length;
    const writable = this.downstream.respondData(data, endStream);
    if (endStream) this.responseComplete();
    return writable;
  }

  encodeTrailers(trailers: HeaderMap): void {
    if (this.complete || this.responseEnded) return;
    for (let i = this.filters.length - 1; i >= 0; i--) this.filters[i]?.encodeTrailers?.(trailers);
    this.downstream.respondTrailers(trailers);
    this.responseComplete();
  }

  onDownstreamWritable(callback: () => void): void {
    this.downstream.onWritable(callback);
  }

  readDisable(disable: boolean): void {
    this.downstream.readDisable(disable);
  }

  resetStream(): void {
    if (this.complete) return;
    this.runtime.stats.downstream_rq_tx_reset.inc();
    this.downstream.reset();
    this.finish();
  }

  // Request side.

  private decodeHeadersFrom(from: number, headers: HeaderMap, endStream: boolean): void {
    for (let i = from; i < this.filters.length; i++) {
      this.headersReached = i;
      const status = this.guard(() => this.filters[i]?.decodeHeaders?.(headers, endStream));
      if (this.complete) return;
      if (status === 'stop') {
        this.headersStopped = true;
        return;
      }
    }
  }

  private decodeData(data: Buffer, endStream: boolean): void {
    this.bytesReceived += data.length;
    this.decodeDataFrom(0, data, endStream);
  }

  private decodeDataFrom(from: number, data: Buffer, endStream: boolean): void {
    if (this.complete) return;
    for (let i = from; i < this.filters.length; i++) {
      if (i > this.headersReached) {
        this.pendingDecode.push({ kind: 'data', data, endStream });
        return;
      }
      const filter = this.filters[i] as HttpFilter;
      if (!filter.decodeData) continue;
      if (this.guard(() => filter.decodeData?.(data, endStream)) === 'stop' || this.complete) return;
    }
  }

  private decodeTrailers(trailers: HeaderMap): void {
    this.decodeTrailersFrom(0, trailers);
  }

  private decodeTrailersFrom(from: number, trailers: HeaderMap): void {
    if (this.complete) return;
    for (let i = from; i < this.filters.length; i++) {
      if (i > this.headersReached) {
        this.pendingDecode.push({ kind: 'trailers', trailers });
        return;
      }
      const filter = this.filters[i] as HttpFilter;
      if (!filter.decodeTrailers) continue;
      if (this.guard(() => filter.decodeTrailers?.(trailers)) === 'stop' || this.complete) return;
    }
  }

  /** Path normalization, host port stripping and the underscore rule; false when refused. */
  private normalizeRequest(headers: HeaderMap): boolean {
    const { runtime } = this;
    const local = this.connection.localAddress;
    stripHostPort(headers, runtime.stripHostPort, local.kind === 'socket' ? local.port : undefined);
    const path = headers.get(':path');
    if (path !== undefined) {
      const normalized = normalizePath(path, runtime.pathNormalization);
      if (normalized === undefined) {
        this.downstream.closeConnectionAfterResponse();
        this.sendLocalReply(LocalReplies.pathNormalizationFailed());
        return false;
      }
      if (normalized !== path) headers.set(':path', normalized);
    }
    const allowed = applyUnderscoresAction(headers, runtime.headersWithUnderscoresAction, () => runtime.stats.dropped_headers_with_underscores.inc());
    if (!allowed) {
      runtime.stats.requests_rejected_with_underscores_in_headers.inc();
      if (this.downstream.protocol === 'HTTP/2') this.resetStream();
      else {
        this.downstream.closeConnectionAfterResponse();
        this.sendLocalReply(LocalReplies.underscoreInHeaders());
      }
      return false;
    }
    return true;
  }

  /** Envoy's `mutateRequestHeaders`: request id, x-forwarded-proto, x-forwarded-for. */
  private mutateRequestHeaders(headers: HeaderMap): void {
    const { runtime } = this;
    if (runtime.useRemoteAddress) {
      const remote = this.connection.remoteAddress;
      if (remote.kind === 'socket' && !runtime.skipXffAppend) {
        const existing = headers.get('x-forwarded-for');
        headers.set('x-forwarded-for', existing ? `${existing}, ${remote.ip}` : remote.ip);
      }
      headers.set('x-forwarded-proto', 'http');
    } else if (!headers.has('x-forwarded-proto')) {
      headers.set('x-forwarded-proto', 'http');
    }
    if (runtime.via) appendVia(headers, runtime.via);
    const externalId = runtime.useRemoteAddress && !runtime.preserveExternalRequestId;
    if (runtime.generateRequestId && (!headers.has('x-request-id') || externalId)) headers.set('x-request-id', randomUUID());
  }

  /** Envoy's `mutateResponseHeaders`: server, date, request id. */
  private finalizeResponseHeaders(headers: HeaderMap): void {
    const { runtime } = this;
    // In Envoy's order: `date`, then `server`.
    if (!headers.has('date')) headers.set('date', new Date().toUTCString());
    if (runtime.serverHeader === 'OVERWRITE' || (runtime.serverHeader === 'APPEND_IF_ABSENT' && !headers.has('server'))) headers.set('server', runtime.serverName);
    if (runtime.via) appendVia(headers, runtime.via);
    if (runtime.alwaysSetRequestIdInResponse) {
      const id = this.downstream.headers.get('x-request-id');
      if (id) headers.set('x-request-id', id);
    }
  }

  private onDownstreamReset(): void {
    if (this.complete) return;
    this.runtime.stats.downstream_rq_rx_reset.inc();
    this.responseDetails ??= 'downstream_remote_disconnect';
    this.finish();
  }

  private onRequestComplete(): void {
    this.requestComplete = true;
    this.timeouts.requestComplete();
  }

  /** Envoy: a 408 if nothing was answered yet, else the stream is reset. */
  private onTimeout(counter: 'downstream_rq_idle_timeout' | 'downstream_rq_timeout', reply: LocalReply): void {
    if (this.complete) return;
    this.runtime.stats[counter].inc();
    if (this.responseStarted) {
      this.resetStream();
      return;
    }
    if (!this.requestComplete) this.downstream.closeConnectionAfterResponse();
    this.sendLocalReply(reply);
  }

  private responseComplete(): void {
    if (!this.requestComplete && this.tunnelHalfCloses) {
      // nodevoy, unlike Envoy: a tunnel half-closes; the client's bytes still go up until it ends.
      this.responseEnded = true;
      return;
    }
    if (!this.requestComplete) this.runtime.stats.downstream_rq_response_before_rq_complete.inc();
    this.finish();
  }

  private finish(): void {
    if (this.complete) return;
    this.complete = true;
    this.timeouts.clear();
    this.downstreamConnection.streamEnded();
    const { stats } = this.runtime;
    stats.downstream_rq_active.dec();
    stats.downstream_rq_completed.inc();
    if (this.upgraded) stats.downstream_cx_upgrades_active.dec();
    stats.downstream_rq_time.record(performance.now() - this.startMs);
    for (const filter of this.filters) this.guard(() => filter.onDestroy?.());
    if (this.runtime.accessLoggers.length > 0) this.writeAccessLogs();
  }

  private writeAccessLogs(): void {
    const details = this.responseDetails;
    const context: FormatContext = {
      connectionId: this.connection.id,
      localAddress: this.connection.localAddress,
      remoteAddress: this.connection.remoteAddress,
      info: this.requestInfo,
      requestHeaders: this.downstream.headers,
      responseHeaders: this.responseHeaders,
      protocol: this.downstream.protocol,
      upstreamCluster: this.requestInfo.upstreamCluster,
      upstreamHost: this.requestInfo.upstreamHost,
      accessLogType: 'DownstreamEnd',
      outcome: {
        responseCode: Number(this.responseHeaders?.get(':status') ?? 0),
        responseFlags: details === undefined ? '' : responseFlagsFor(details),
        responseCodeDetails: details,
        bytesReceived: this.bytesReceived,
        bytesSent: this.bytesSent,
        durationMs: performance.now() - this.startMs,
      },
    };
    emitAccessLogs(this.runtime.accessLoggers, context, this.runtime.log, `[C${this.connection.id}][S${this.streamId}]`);
  }

  private guard<T>(fn: () => T): T | 'stop' {
    try {
      return fn();
    } catch (err) {
      this.runtime.log.warn(`[C${this.connection.id}][S${this.streamId}] HTTP filter threw: ${err instanceof Error ? err.message : String(err)}`);
      if (this.responseStarted) this.resetStream();
      else this.sendLocalReply({ status: 500, body: 'filter error', details: 'filter_error' });
      return 'stop';
    }
  }
}

/** `via`: appended to requests and responses, as Envoy's connection manager does. */
function appendVia(headers: HeaderMap, via: string): void {
  const existing = headers.get('via');
  headers.set('via', existing ? `${existing}, ${via}` : via);
}
