import type { Connection, ConnectionInfo, ExtensionFactory, FilterFactoryContext, FormatContext, RequestInfo, StatsScope } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import type { RequestTracing } from './tracing/request-tracing.js';
import type { ResolvedRoute } from './routing/route-table.js';

/** The extension category of HTTP filters, as Envoy names it. */
export const HTTP_FILTER_CATEGORY = 'envoy.filters.http';

/** What a filter tells the chain: go on to the next filter, or stop until it says continue. */
export type HttpFilterStatus = 'continue' | 'stop';

/** A callback's answer now, or later: the chain waits at the filter for a promise to settle. */
export type HttpFilterResult = HttpFilterStatus | PromiseLike<HttpFilterStatus>;

export interface LocalReply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: readonly (readonly [string, string])[];
  /** Envoy's response code details, for logs (`route_not_found`, `direct_response`...). */
  readonly details: string;
  /** Last changes to the reply's headers (the route's response_headers_to_add). */
  readonly mutateHeaders?: (headers: HeaderMap) => void;
  /** To a gRPC request, this `grpc-status` rather than the one the HTTP status stands for. */
  readonly grpcStatus?: number;
}

/** What the decoding (request) side of a filter can do with its stream. */
export interface DecoderFilterCallbacks {
  readonly connection: Connection;
  readonly connectionInfo: ConnectionInfo;
  /** This request's filter state (over the connection's) and dynamic metadata. */
  readonly requestInfo: RequestInfo;
  readonly streamId: number;
  /** The downstream protocol: `HTTP/1.0`, `HTTP/1.1` or `HTTP/2`. */
  readonly protocol: string;
  /** The route the request matched (undefined: no route). */
  route(): ResolvedRoute | undefined;
  /**
   * The request's tracing when the connection manager traces it: `tracing.span` is Envoy's
   * `activeSpan()`, which a filter may tag.
   */
  readonly tracing: RequestTracing | undefined;
  /**
   * Envoy's `clearRouteCache`: the request's headers changed in a way that may change its route,
   * so it is matched again (the router, after this filter, forwards by the new one).
   */
  clearRouteCache(): void;
  /** Resumes the request after this filter returned `stop`. */
  continueDecoding(): void;
  /** Ends the stream with a response generated here (404, 503...). */
  sendLocalReply(reply: LocalReply): void;
  /** An interim `100 Continue` to the client (the upstream's, with `proxy_100_continue`). */
  encodeContinue(): void;
  /** A terminal filter's response: through the encoder filters to the client. */
  encodeHeaders(headers: HeaderMap, endStream: boolean): void;
  /** False when the client is not taking data fast enough: wait for `onDownstreamWritable`. */
  encodeData(data: Buffer, endStream: boolean): boolean;
  encodeTrailers(trailers: HeaderMap): void;
  onDownstreamWritable(callback: () => void): void;
  /** Pauses or resumes reading the request body (the upstream's backpressure). */
  readDisable(disable: boolean): void;
  /** Abandons the stream: an HTTP/2 RST_STREAM, or the HTTP/1.1 connection closed. */
  resetStream(): void;
  /**
   * True for an HTTP/2 CONNECT tunnel: its response may end (END_STREAM) while the client
   * goes on sending, so an upstream half-close is passed on rather than turned into a reset.
   */
  readonly tunnelHalfCloses: boolean;
  /**
   * Envoy's `injectDecodedDataToFilterChain`: request body this filter made (a transformed copy
   * of what it took with `stop`) goes on to the filters after it, in order.
   */
  injectDecodedDataToFilterChain(data: Buffer, endStream: boolean): void;
  /**
   * Envoy's `addDecodedTrailers`, for a filter that took the last data chunk: the request ends
   * with these trailers, after what the filter injected.
   */
  addDecodedTrailers(trailers: HeaderMap): void;
}

/** What the encoding (response) side of a filter can do. */
export interface EncoderFilterCallbacks {
  readonly streamId: number;
  /** Resumes the response after this filter returned `stop` from `encodeHeaders`. */
  continueEncoding(): void;
  /** Envoy's `injectEncodedDataToFilterChain`: response body this filter made goes on toward the client. */
  injectEncodedDataToFilterChain(data: Buffer, endStream: boolean): void;
  /** Envoy's `addEncodedTrailers`: the response ends with these trailers, after what the filter injected. */
  addEncodedTrailers(trailers: HeaderMap): void;
}

/**
 * An HTTP filter, Envoy's model: request headers/data/trailers go through decoder filters in
 * order, the response through encoder filters in reverse. `stop` from a headers callback holds
 * the stream (for the filters after this one) until the filter calls continue; `stop` from a
 * data or trailers callback means the filter took that item. A promise makes the chain wait at
 * the filter until it settles. A filter that changes the body takes each chunk with `stop` and
 * injects what it made in its place. A filter that throws (or whose promise rejects) ends its stream:
 * a 500 if nothing was answered yet, else a reset; every other stream carries on.
 */
export interface HttpFilter {
  setDecoderFilterCallbacks?(callbacks: DecoderFilterCallbacks): void;
  setEncoderFilterCallbacks?(callbacks: EncoderFilterCallbacks): void;
  decodeHeaders?(headers: HeaderMap, endStream: boolean): HttpFilterResult;
  decodeData?(data: Buffer, endStream: boolean): HttpFilterResult;
  decodeTrailers?(trailers: HeaderMap): HttpFilterResult;
  encodeHeaders?(headers: HeaderMap, endStream: boolean): HttpFilterResult;
  encodeData?(data: Buffer, endStream: boolean): HttpFilterResult;
  encodeTrailers?(trailers: HeaderMap): HttpFilterResult;
  /** The stream ended, for whatever reason: release what the filter holds. */
  onDestroy?(): void;
}

/** Called once per request to add the chain's filters. */
export type HttpFilterFactoryCb = (addFilter: (filter: HttpFilter) => void) => void;

/** One entry of `http_filters`, ready to make its filters for each request. */
export interface HttpFilterChainEntry {
  readonly name: string;
  /** `disabled`: made only where a route turns it on. */
  readonly disabled: boolean;
  readonly create: HttpFilterFactoryCb;
}

/**
 * The most specific `typed_per_filter_config` of the route for the filter named
 * `filterConfigName` (route, else virtual host, else route configuration), as its route config
 * factory compiled it.
 */
export function perFilterConfig<T>(callbacks: DecoderFilterCallbacks, filterConfigName: string): T | undefined {
  return callbacks.route()?.perFilterConfigs(filterConfigName).at(-1) as T | undefined;
}

/** What format strings (`%REQ(...)%`, `%DOWNSTREAM_REMOTE_ADDRESS%`...) see of a request, for header values a filter adds. */
export function requestFormatContext(callbacks: Pick<DecoderFilterCallbacks, 'connection' | 'requestInfo'>, requestHeaders: HeaderMap): FormatContext {
  const connection = callbacks.connection;
  return {
    localAddress: connection.localAddress,
    remoteAddress: callbacks.requestInfo.downstreamRemoteAddress ?? connection.remoteAddress,
    directRemoteAddress: connection.remoteAddress,
    ...(connection.ssl ? { ssl: connection.ssl } : {}),
    info: callbacks.requestInfo,
    requestHeaders,
  };
}

/** An HTTP filter extension, keyed by the `@type` of its typed config. */
export interface HttpFilterFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof HTTP_FILTER_CATEGORY;
  /** The router is terminal: it must be the last HTTP filter. */
  readonly isTerminalFilter: boolean;
  /**
   * `statsScope` is the connection manager's, `http.<stat_prefix>.`; `filterConfigName` is the
   * filter's name in `http_filters`, under which routes hold its `typed_per_filter_config`.
   */
  createFilterFactory(config: C, context: FilterFactoryContext, statsScope: StatsScope, filterConfigName: string): HttpFilterFactoryCb;
}
