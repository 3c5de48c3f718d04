import type { HeaderMap } from '@nodevoy/http';

export type DownstreamProtocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';

/** What the connection manager hears from a downstream request after its headers. */
export interface DownstreamStreamCallbacks {
  onData(data: Buffer, endStream: boolean): void;
  onTrailers(trailers: HeaderMap): void;
  /** The client went away or reset the stream before it completed. */
  onReset(reason: string): void;
}

/**
 * One downstream request/response exchange, whatever the codec: the request's headers with
 * Envoy's pseudo-headers, its body as events, and a way to answer. HTTP/1.1 CONNECT and HTTP/2
 * streams answer the same way; after a 2xx to CONNECT, data is the raw tunnel.
 */
export interface DownstreamStream {
  readonly protocol: DownstreamProtocol;
  /** `:method`, `:path` (absent for CONNECT), `:authority`, `:scheme`, then regular headers. */
  readonly headers: HeaderMap;
  /** True when the request has no body. */
  readonly headersEndStream: boolean;
  start(callbacks: DownstreamStreamCallbacks): void;
  readDisable(disable: boolean): void;
  /** An interim `100 Continue`, before the response (Envoy's `encode1xxHeaders`). */
  respondContinue(): void;
  /** `headers` carries `:status`. */
  respondHeaders(headers: HeaderMap, endStream: boolean): void;
  /** False when the client is behind: wait for `onWritable`. */
  respondData(data: Buffer, endStream: boolean): boolean;
  respondTrailers(trailers: HeaderMap): void;
  onWritable(callback: () => void): void;
  /** Ends the exchange abruptly: RST_STREAM on HTTP/2, the connection closed on HTTP/1.1. */
  reset(): void;
  /** After this response the HTTP/1.1 connection closes (`connection: close`). */
  closeConnectionAfterResponse(): void;
  /**
   * The connection serves no further requests (`max_requests_per_connection`): HTTP/1.1 closes
   * after this response, HTTP/2 sends GOAWAY and closes once its open streams finish.
   */
  drainConnection(): void;
}
