import type { HopFailure } from '@nodevoy/core';
import type { HeaderMap } from '../headers.js';
import type { UpstreamCodec } from '../protocol-options.js';

/** An HTTP request as the router (or a tunnel) sends it upstream. */
export interface RequestHead {
  readonly method: string;
  /** The request target; for CONNECT, unused (the authority is the target). */
  readonly path: string;
  readonly authority: string;
  readonly scheme: string;
  /** Regular headers only; pseudo-headers come from the fields above. */
  readonly headers: HeaderMap;
}

export interface ResponseHead {
  readonly status: number;
  /** Regular headers only. */
  readonly headers: HeaderMap;
  /** The protocol the upstream answered in: `HTTP/1.1` or `HTTP/2`. */
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
}

/** How an upstream request failed, with Envoy's reset reason for local replies. */
export interface UpstreamFailure {
  readonly kind: 'connect' | 'overflow' | 'reset' | 'protocol';
  /** `remote connection failure`, `connection timeout`, `overflow`, `remote reset`... */
  readonly resetReason: string;
  readonly detail: string;
  /** Over an internal hop: why the inner listener's side gave up, if it said. */
  readonly hopFailure?: HopFailure;
}

/** What an upstream request reports. After a 2xx to CONNECT, data is the raw tunnel. */
export interface UpstreamRequestCallbacks {
  /** A connection speaking `codec` now serves the request (it counts in `upstream_rq_total`). */
  onAssigned(codec: UpstreamCodec): void;
  /** The upstream answered an `Expect: 100-continue` with `100 Continue`. */
  onContinue?(): void;
  onResponseHeaders(head: ResponseHead, endStream: boolean): void;
  onResponseData(data: Buffer, endStream: boolean): void;
  onResponseTrailers(trailers: HeaderMap): void;
  onFailure(failure: UpstreamFailure): void;
  /** Writable again after `sendData` returned false. */
  onWritable(): void;
}

export interface UpstreamRequest {
  /** Sends request body (or tunnel) bytes; false means wait for `onWritable`. */
  sendData(data: Buffer, endStream: boolean): boolean;
  /** Pauses or resumes the response body (the downstream's backpressure). */
  readDisable(disable: boolean): void;
  /** Abandons the request: the stream is reset, or an HTTP/1.1 connection closed. */
  reset(): void;
}
