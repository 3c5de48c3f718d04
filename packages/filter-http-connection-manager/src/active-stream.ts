import { randomUUID } from 'node:crypto';
import { REQUEST_PASSTHROUGH_HEADER, RequestInfo, emitAccessLogs, mergePassthrough, type Connection, type ConnectionInfo, type FormatContext, type ResponseFlag } from '@nodevoy/core';
import { hasGrpcContentType, upgradeRequested, type HeaderMap } from '@nodevoy/http';
import type { CodecIssue, DownstreamStream } from './codec/downstream-stream.js';
import type { DownstreamConnection } from './downstream-connection.js';
import { FilterCallbacks, type FilterCallbackStream } from './filter-callbacks.js';
import { requestFormatContext, type HttpFilter, type LocalReply } from './http-filter.js';
import { FilterIteration, type StreamItem } from './filter-iteration.js';
import type { HcmRuntime } from './hcm-runtime.js';
import { grpcLocalReplyHeaders, LocalReplies, localReplyHeaders, responseFlagsFor } from './local-reply.js';
import { mutateClientCertHeader } from './client-cert-header.js';
import type { ResolvedRoute } from './routing/route-table.js';
import { applyForwardedFor } from './forwarded-for.js';
import { statusClass } from './stats.js';
import { StreamTimeouts } from './stream-timeouts.js';
import { applyUnderscoresAction, normalizePath, stripHostPort } from './request-normalization.js';
import { RequestTracing } from './tracing/request-tracing.js';
import type { HttpTracing } from './tracing/http-tracing.js';

/**
 * One request through the connection manager (Envoy's ActiveStream): the request-header
 * rules, the route, the HTTP filter chain (decoder filters in order, encoder filters in
 * reverse), the response-header rules, and the stats of it all.
 */
export class ActiveStream implements FilterCallbackStream {
  readonly streamId: number;
  readonly requestInfo: RequestInfo;
  private readonly filters: HttpFilter[] = [];
  private readonly decoder: FilterIteration;
  private readonly encoder: FilterIteration;
  private resolvedRoute: ResolvedRoute | undefined;
  /** A filter has begun the response (encodeHeaders). */
  private responseStarted = false;
  /** The response headers went out to the client. */
  private headersWritten = false;
  /** The downstream's reading is held: by a filter's backpressure, and by request data held for stopped filters. */
  private readDisabledByFilter = false;
  private readDisabledByHeld = false;
  /** Response data held for stopped encoder filters is over the limit: the sender waits. */
  private encodeHeldAbove = false;
  private readonly heldWritableWaiters: (() => void)[] = [];
  /** What the last response write said of the client's buffer. */
  private downstreamWritable = true;
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
  private responseTrailers: HeaderMap | undefined;
  private responseDetails: string | undefined;
  private bytesReceived = 0;
  private bytesSent = 0;
  /** Set once the request is routed, when the connection manager traces. */
  private requestTracing: RequestTracing | undefined;
  /** The request came as gRPC (before any filter changed its content type): local replies are gRPC's. */
  private grpcRequest = false;

  constructor(
    private readonly runtime: HcmRuntime,
    private readonly downstream: DownstreamStream,
    readonly connection: Connection,
    private readonly downstreamConnection: DownstreamConnection,
  ) {
    this.streamId = runtime.nextStreamId();
    this.requestInfo = new RequestInfo(connection.info);
    this.timeouts = new StreamTimeouts(runtime.streamIdleTimeoutMs, runtime.requestTimeoutMs, runtime.maxStreamDurationMs, {
      onIdle: () => this.onTimeout('downstream_rq_idle_timeout', LocalReplies.streamIdleTimeout()),
      onRequestTimeout: () => this.onTimeout('downstream_rq_timeout', LocalReplies.requestTimeout()),
      onMaxDuration: () => this.onTimeout('downstream_rq_max_duration_reached', LocalReplies.maxDurationTimeout()),
    });
    const limit = connection.bufferLimitBytes;
    const isDone = () => this.complete;
    const onFilterError = (callback: string, error: unknown) => this.onFilterError(callback, error);
    this.decoder = new FilterIteration('decode', this.filters, {
      deliver: () => {},
      onFilterError,
      isDone,
      onHeldAboveLimit: (above) => {
        this.readDisabledByHeld = above;
        this.applyReadDisable();
      },
    }, limit);
    this.encoder = new FilterIteration('encode', this.filters, {
      deliver: (item) => this.writeDownstream(item),
      onFilterError,
      isDone,
      onHeldAboveLimit: (above) => this.onEncodeHeldAboveLimit(above),
    }, limit);
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
    else if (downstream.protocol !== 'HTTP/2') this.downstreamConnection.readingRequest = this;
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
    const issue = downstream.codecIssue;
    if (issue !== undefined) {
      // A codec error Envoy's parser would have raised: answered before any filter, then closed.
      if (this.downstreamConnection.firstProtocolError()) stats.downstream_cx_protocol_error.inc();
      this.replyCodecError(issue);
      return;
    }
    const headers = downstream.headers;
    this.grpcRequest = hasGrpcContentType(headers);
    // An HTTP/1.x request line has no scheme: it is the connection's, as Envoy sets it.
    if (downstream.protocol !== 'HTTP/2' && this.connection.ssl && headers.get(':scheme') === 'http') headers.set(':scheme', 'https');
    this.takePassthrough(headers);
    if (!this.runtime.proxy100Continue && headers.get('expect')?.toLowerCase() === '100-continue') {
      // As Envoy: the connection manager answers `100 Continue` itself, before any filter, and
      // the expectation goes no further.
      this.encodeContinue();
      headers.remove('expect');
    }
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
    if (this.runtime.tracing) this.startTracing(this.runtime.tracing, headers);
    this.applyRouteTimeouts();
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
    if (!this.createFilterChain()) return;
    this.decoder.push({ kind: 'headers', headers, endStream: downstream.headersEndStream });
  }

  /** Envoy's createFilterChain, guarded: a factory or a filter that throws here fails the stream. */
  private createFilterChain(): boolean {
    let step = 'filter factory';
    try {
      const route = this.resolvedRoute;
      for (const entry of this.runtime.filterFactories) {
        // A route may turn a filter off, or on one that http_filters lists as disabled.
        if (!(route?.filterDisabled(entry.name) ?? entry.disabled)) entry.create((filter) => this.filters.push(filter));
      }
      for (const filter of this.filters) {
        if (!filter.setDecoderFilterCallbacks && !filter.setEncoderFilterCallbacks) continue;
        const callbacks = new FilterCallbacks(this, filter);
        step = 'setDecoderFilterCallbacks';
        filter.setDecoderFilterCallbacks?.(callbacks);
        step = 'setEncoderFilterCallbacks';
        filter.setEncoderFilterCallbacks?.(callbacks);
      }
      return true;
    } catch (err) {
      this.onFilterError(step, err);
      return false;
    }
  }

  private startTracing(tracing: HttpTracing, headers: HeaderMap): void {
    const route = this.resolvedRoute?.config;
    const traced = route ? { tracing: route.tracing, decorator: route.decorator, metadata: route.metadata?.filter_metadata } : undefined;
    this.requestTracing = RequestTracing.start(tracing, headers, traced, this.requestInfo.healthCheck, this.connection.worker);
    this.requestInfo.traced = this.requestTracing.traced;
  }

  get tracing(): RequestTracing | undefined {
    return this.requestTracing;
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

  clearRouteCache(): void {
    this.resolvedRoute = this.runtime.routes.resolve(this.downstream.headers);
    this.applyRouteTimeouts();
  }

  /**
   * Envoy's `refreshIdleTimeout` and `refreshDurationTimeout`: the route's `idle_timeout` replaces
   * the stream's, and its `max_stream_duration` the connection manager's (back to it when the
   * route has none).
   */
  private applyRouteTimeouts(): void {
    const action = this.resolvedRoute?.action;
    if (action?.idle_timeout !== undefined) this.timeouts.setIdleTimeout(action.idle_timeout);
    const routeMaxDuration = action?.max_stream_duration?.max_stream_duration;
    if (routeMaxDuration !== undefined || this.runtime.maxStreamDurationMs > 0) this.timeouts.setMaxDuration(routeMaxDuration ?? this.runtime.maxStreamDurationMs);
  }

  continueDecoding(): void {
    this.decoder.resume();
  }

  continueEncoding(): void {
    this.encoder.resume();
  }

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
    // As Envoy's: a reply made here for a request routed to a cluster gets the route's response
    // header rules (a direct response or redirect applies them itself).
    const route = this.resolvedRoute;
    if (route?.action && reply.details !== 'direct_response') {
      const context = { ...requestFormatContext(this, this.downstream.headers), responseHeaders: headers };
      for (const mutation of route.responseMutations) mutation.apply(headers, context);
    }
    reply.mutateHeaders?.(headers);
    if (this.grpcRequest) {
      this.encodeHeaders(grpcLocalReplyHeaders(headers, reply, this.downstream.headers.get(':method') === 'HEAD' ? Buffer.alloc(0) : body), true);
      return;
    }
    this.encodeHeaders(headers, body.length === 0);
    if (body.length > 0) this.encodeData(body, true);
  }

  get protocol(): string {
    return this.downstream.protocol;
  }

  get tunnelHalfCloses(): boolean {
    return this.upgraded && this.downstream.protocol === 'HTTP/2';
  }

  encodeContinue(): void {
    if (this.complete || this.responseStarted) return;
    this.runtime.stats.downstream_rq_1xx.inc();
    this.downstream.respondContinue();
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.complete || this.responseEnded || this.responseStarted) return;
    this.responseStarted = true;
    this.responseDetails ??= 'via_upstream';
    this.timeouts.activity();
    this.encoder.push({ kind: 'headers', headers, endStream });
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    if (this.complete || this.responseEnded) return true;
    this.timeouts.activity();
    this.downstreamWritable = true;
    this.encoder.push({ kind: 'data', data, endStream });
    return this.downstreamWritable && !this.encodeHeldAbove;
  }

  encodeTrailers(trailers: HeaderMap): void {
    if (this.complete || this.responseEnded) return;
    this.encoder.push({ kind: 'trailers', trailers });
  }

  inject(direction: 'decode' | 'encode', from: HttpFilter, item: StreamItem): void {
    if (this.complete) return;
    (direction === 'decode' ? this.decoder : this.encoder).inject(from, item);
  }

  onDownstreamWritable(callback: () => void): void {
    if (this.encodeHeldAbove) this.heldWritableWaiters.push(callback);
    else this.downstream.onWritable(callback);
  }

  readDisable(disable: boolean): void {
    this.readDisabledByFilter = disable;
    this.applyReadDisable();
  }

  /** What passed every encoder filter goes to the client, with Envoy's last header rules. */
  private writeDownstream(item: StreamItem): void {
    switch (item.kind) {
      case 'headers': {
        const { headers, endStream } = item;
        this.drainCloseIfAsked();
        this.finalizeResponseHeaders(headers);
        const status = Number(headers.get(':status') ?? 0);
        this.responseHeaders = headers;
        this.headersWritten = true;
        this.runtime.stats[statusClass(status)].inc();
        this.downstream.respondHeaders(headers, endStream);
        if (endStream) this.responseComplete();
        return;
      }
      case 'data':
        this.bytesSent += item.data.length;
        this.downstreamWritable = this.downstream.respondData(item.data, item.endStream);
        if (item.endStream) this.responseComplete();
        return;
      case 'trailers':
        this.responseTrailers = item.trailers;
        this.downstream.respondTrailers(item.trailers);
        this.responseComplete();
        return;
    }
  }

  private applyReadDisable(): void {
    this.downstream.readDisable(this.readDisabledByFilter || this.readDisabledByHeld);
  }

  private onEncodeHeldAboveLimit(above: boolean): void {
    this.encodeHeldAbove = above;
    if (above) return;
    for (const waiter of this.heldWritableWaiters.splice(0)) waiter();
  }

  resetStream(): void {
    if (this.complete) return;
    this.runtime.stats.downstream_rq_tx_reset.inc();
    this.downstream.reset();
    this.finish();
  }

  // Request side.

  private decodeData(data: Buffer, endStream: boolean): void {
    if (this.complete) return;
    this.bytesReceived += data.length;
    this.decoder.push({ kind: 'data', data, endStream });
  }

  private decodeTrailers(trailers: HeaderMap): void {
    if (this.complete) return;
    this.decoder.push({ kind: 'trailers', trailers });
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

  /** Envoy's `mutateRequestHeaders`: who sent it (x-forwarded-*), via, x-forwarded-client-cert, request id. */
  private mutateRequestHeaders(headers: HeaderMap): void {
    const { runtime } = this;
    const { clientAddress, edge } = applyForwardedFor(headers, this.connection.remoteAddress, this.connection.ssl !== undefined, runtime.forwardedFor);
    if (clientAddress !== this.connection.remoteAddress) this.requestInfo.downstreamRemoteAddress = clientAddress;
    if (runtime.via) appendVia(headers, runtime.via);
    mutateClientCertHeader(headers, runtime.forwardClientCert, runtime.clientCertDetails, this.connection.ssl);
    const replaceId = edge && !runtime.preserveExternalRequestId;
    if (runtime.generateRequestId && (!headers.has('x-request-id') || replaceId)) headers.set('x-request-id', randomUUID());
  }

  /**
   * Envoy's drain close, checked at each response: once the listener drains or the server is
   * health-check-failed, the connection's drain sequence starts (HTTP/1.1 `connection: close`
   * after this response, HTTP/2 GOAWAY), once per connection.
   */
  private drainCloseIfAsked(): void {
    if (this.downstreamConnection.isDrainClosing || !this.runtime.drainDecision.drainClose()) return;
    this.downstreamConnection.startDrainClose();
    this.runtime.stats.downstream_cx_drain_close.inc();
    this.downstream.drainConnection();
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

  /**
   * The codec failed while this request's body was being read: if the bad bytes are in the body,
   * a 400 if nothing was answered yet (else a reset), then close; false if they came after it.
   */
  onCodecError(issue: CodecIssue): boolean {
    if (this.downstream.parsedWholeRequest?.()) return false;
    this.replyCodecError(issue);
    return true;
  }

  /** Envoy's answer to a codec error: its status, then the connection closes. */
  private replyCodecError(issue: CodecIssue): void {
    this.downstream.closeConnectionAfterResponse();
    this.sendLocalReply(LocalReplies.codecError(issue.status, issue.details));
  }

  private stopReading(): void {
    if (this.downstreamConnection.readingRequest === this) this.downstreamConnection.readingRequest = undefined;
  }

  private onRequestComplete(): void {
    this.stopReading();
    this.requestComplete = true;
    this.timeouts.requestComplete();
  }

  /** Envoy: a 408 if nothing was answered yet, else the stream is reset. */
  private onTimeout(counter: 'downstream_rq_idle_timeout' | 'downstream_rq_timeout' | 'downstream_rq_max_duration_reached', reply: LocalReply): void {
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
    if (!this.requestComplete) {
      this.runtime.stats.downstream_rq_response_before_rq_complete.inc();
      this.downstream.abandonRequest?.();
    }
    this.finish();
  }

  private finish(): void {
    if (this.complete) return;
    this.complete = true;
    this.stopReading();
    this.timeouts.clear();
    this.downstreamConnection.streamEnded();
    const { stats } = this.runtime;
    stats.downstream_rq_active.dec();
    stats.downstream_rq_completed.inc();
    if (this.upgraded) stats.downstream_cx_upgrades_active.dec();
    stats.downstream_rq_time.record(performance.now() - this.startMs);
    this.decoder.abandon();
    this.encoder.abandon();
    for (const filter of this.filters) {
      try {
        filter.onDestroy?.();
      } catch (err) {
        this.runtime.log.warn(`[C${this.connection.id}][S${this.streamId}] HTTP filter threw in onDestroy: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // Once the caller that ended the stream has returned, as Envoy logs on its deferred deletion:
    // what a filter records after its local reply (RBAC's verdict) is in the log and the span.
    if (this.runtime.accessLoggers.length > 0 || this.requestTracing) queueMicrotask(() => this.report());
  }

  /** The finished request, to the access logs and the tracer. */
  private report(): void {
    const responseFlags = this.responseFlags(this.responseDetails);
    this.requestTracing?.finish({
      protocol: this.downstream.protocol,
      directRemoteAddress: this.connection.remoteAddress,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      responseCode: Number(this.responseHeaders?.get(':status') ?? 0),
      responseFlags: responseFlags || '-',
      responseHeaders: this.responseHeaders,
      responseTrailers: this.responseTrailers,
      upstreamCluster: this.requestInfo.upstreamCluster,
      dynamicMetadata: this.requestInfo.dynamicMetadata,
    });
    if (this.runtime.accessLoggers.length > 0) this.writeAccessLogs(responseFlags);
  }

  /** The flags the response's details imply, with those filters set (in Envoy's order). */
  private responseFlags(details: string | undefined): string {
    const flags = this.requestInfo.responseFlags;
    const implied = details === undefined ? '' : responseFlagsFor(details);
    if (implied) flags.set(implied as ResponseFlag);
    return flags.toString();
  }

  private writeAccessLogs(responseFlags: string): void {
    const details = this.responseDetails;
    const context: FormatContext = {
      connectionId: this.connection.id,
      localAddress: this.connection.localAddress,
      remoteAddress: this.requestInfo.downstreamRemoteAddress ?? this.connection.remoteAddress,
      directRemoteAddress: this.connection.remoteAddress,
      ...(this.connection.ssl ? { ssl: this.connection.ssl } : {}),
      info: this.requestInfo,
      requestHeaders: this.downstream.headers,
      responseHeaders: this.responseHeaders,
      protocol: this.downstream.protocol,
      upstreamCluster: this.requestInfo.upstreamCluster,
      upstreamHost: this.requestInfo.upstreamHost,
      accessLogType: 'DownstreamEnd',
      outcome: {
        responseCode: Number(this.responseHeaders?.get(':status') ?? 0),
        responseFlags,
        responseCodeDetails: details,
        bytesReceived: this.bytesReceived,
        bytesSent: this.bytesSent,
        durationMs: performance.now() - this.startMs,
      },
    };
    emitAccessLogs(this.runtime.accessLoggers, context, this.runtime.log, `[C${this.connection.id}][S${this.streamId}]`);
  }

  /**
   * A filter threw (or its promise was rejected): logged with the stream, counted, and the
   * stream ends: a 500 straight to the client if nothing was sent yet (not through the encoder
   * filters, one of which may be the culprit), else a reset. Other streams carry on.
   */
  private onFilterError(callback: string, err: unknown): void {
    if (this.complete) return;
    const { runtime } = this;
    runtime.stats.downstream_rq_filter_error.inc();
    runtime.log.warn(`[C${this.connection.id}][S${this.streamId}] HTTP filter threw in ${callback}: ${err instanceof Error ? err.message : String(err)}`);
    this.responseDetails = 'filter_error';
    this.decoder.abandon();
    this.encoder.abandon();
    if (this.headersWritten) {
      this.resetStream();
      return;
    }
    this.responseStarted = true;
    if (!this.requestComplete) this.downstream.closeConnectionAfterResponse();
    const reply = LocalReplies.filterError();
    const body = Buffer.from(reply.body ?? '');
    this.writeDownstream({ kind: 'headers', headers: localReplyHeaders(reply), endStream: false });
    this.writeDownstream({ kind: 'data', data: body, endStream: true });
  }
}

/** `via`: appended to requests and responses, as Envoy's connection manager does. */
function appendVia(headers: HeaderMap, via: string): void {
  const existing = headers.get('via');
  headers.set('via', existing ? `${existing}, ${via}` : via);
}
