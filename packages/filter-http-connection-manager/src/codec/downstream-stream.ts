import type { Readable } from 'node:stream';
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
 * Reads what is left of a request body into nothing: a stream that is done with it must not
 * stay paused on it (the HTTP/1.1 parser waits there for the next request; an HTTP/2 stream
 * stays open until the upload ends).
 */
export function discardRequestBody(body: Readable): void {
  body.removeAllListeners('data');
  body.on('data', () => {});
  body.resume();
}

/** A request Envoy's codec refuses: the status it answers with, and the response code details. */
export interface CodecIssue {
  readonly status: 400 | 426 | 431 | 501;
  readonly details: string;
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
  /**
   * What the codec found wrong with a request it could still parse (an HTTP version nodevoy does
   * not serve, two Hosts, too many headers, a transfer coding it does not implement): the
   * connection manager answers it and closes, as Envoy's codec does.
   */
  readonly codecIssue?: CodecIssue | undefined;
  /**
   * The response is complete and the rest of the request is not wanted: what is left of the
   * body is read into nothing, so an HTTP/2 stream ends when the client's upload does and an
   * HTTP/1.1 parser reaches the next request, instead of either staying paused on an upload
   * nobody reads (the connection hung). Envoy resets the stream here; with node:http2 a reset
   * after the response can lose its final frame, so nodevoy drains instead.
   */
  readonly abandonRequest?: () => void;
  /** HTTP/1.x: the codec has parsed the whole request (what follows on the wire is not its body). */
  readonly parsedWholeRequest?: () => boolean;
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
