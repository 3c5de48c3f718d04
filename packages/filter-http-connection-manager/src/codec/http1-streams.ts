import { HeaderMap, UNSAFE_HEADER_VALUE, reasonPhrase } from '@nodevoy/http';
import type { CodecIssue, DownstreamProtocol, DownstreamStream, DownstreamStreamCallbacks } from './downstream-stream.js';
import { firstHeader, isHttp10, joinedHeader, type ParsedRequest } from './http1/parsed-request.js';
import { CONTINUE } from './http1/response-head.js';

const EMPTY = Buffer.alloc(0);

/** How the connection manager's `http_protocol_options` shape HTTP/1.x requests and responses. */
export interface Http1Options {
  /** `enable_trailers`: responses may carry trailers (chunked bodies). */
  readonly enableTrailers: boolean;
  /** `allow_chunked_length`: a request with both a length and chunks is read as chunked (its length removed), not refused. */
  readonly allowChunkedLength: boolean;
  /** `default_host_for_http_10`: the authority of an HTTP/1.0 request without Host. */
  readonly defaultHostForHttp10: string | undefined;
  /** `common_http_protocol_options.max_headers_count` (Envoy's default: 100). */
  readonly maxHeadersCount: number;
}

/** Envoy's codec checks on a parsed HTTP/1.x request, in the order it makes them. */
export function http1RequestIssue(req: ParsedRequest, options: Http1Options): CodecIssue | undefined {
  // llhttp takes HTTP/0.9 and HTTP/2.0 request lines; Envoy serves 1.x only.
  if (req.versionMajor !== 1) return { status: 426, details: 'codec_error:unsupported_version' };
  if (req.rawHeaders.length / 2 > options.maxHeadersCount) return { status: 431, details: 'codec_error:too_many_headers' };
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  // RFC 9112 §3.2: a request with more than one Host is answered 400 (Envoy joins them).
  if (hosts > 1) return { status: 400, details: 'codec_error:duplicate_host' };
  const codings = joinedHeader(req.rawHeaders, 'transfer-encoding');
  // Only `chunked` is implemented, as in Envoy: another coding would reach the upstream undone.
  if (codings !== undefined && codings.trim().toLowerCase() !== 'chunked') return { status: 501, details: 'codec_error:unsupported_transfer_encoding' };
  if (!requestTargetValid(req.method, req.url)) return { status: 400, details: 'codec_error:invalid_request_target' };
  const host = firstHeader(req.rawHeaders, 'host');
  if (host !== undefined && !AUTHORITY.test(host)) return { status: 400, details: 'codec_error:invalid_authority' };
  return undefined;
}

/** RFC 3986 authority characters (unreserved, sub-delims, `:@[]%`), what Envoy's codec accepts in Host. */
const AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]*$/;
/** A CONNECT target: host and port, nothing else (RFC 9110 §9.3.6). */
const CONNECT_TARGET = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@:[\]]+):\d+$/;

/** RFC 9112 §3.2's request-target forms, each with the method it belongs to; no fragment anywhere. */
function requestTargetValid(method: string, target: string): boolean {
  if (method === 'CONNECT') return CONNECT_TARGET.test(target);
  if (target.includes('#')) return false;
  return target.startsWith('/') || ABSOLUTE_URL.test(target) || (method === 'OPTIONS' && target === '*');
}

const ABSOLUTE_URL = /^https?:\/\//i;

/** Envoy's view of an HTTP/1.x request: the request line and Host as pseudo-headers. */
export function requestHeaders(req: ParsedRequest, isConnect: boolean, options?: Http1Options): HeaderMap {
  const headers = new HeaderMap();
  headers.add(':method', req.method);
  let host = firstHeader(req.rawHeaders, 'host') ?? (isHttp10(req) ? options?.defaultHostForHttp10 : undefined);
  let path = req.url;
  if (!isConnect && ABSOLUTE_URL.test(path)) {
    // A proxy-style request (`GET http://host/path`): the URL's authority wins over Host.
    const url = new URL(path);
    host = url.host;
    path = `${url.pathname}${url.search}`;
  }
  if (isConnect) {
    // The request-target wins over Host for CONNECT (Envoy's IgnoreH11HostField).
    headers.add(':authority', req.url);
  } else {
    headers.add(':scheme', 'http');
    headers.add(':path', path);
    if (host !== undefined) headers.add(':authority', host);
  }
  const regular = HeaderMap.fromRaw(req.rawHeaders);
  regular.remove('host');
  for (const [name, value] of regular) headers.add(name, value);
  return headers;
}

function protocolOf(req: ParsedRequest): DownstreamProtocol {
  return isHttp10(req) ? 'HTTP/1.0' : 'HTTP/1.1';
}

/**
 * What takes over an HTTP/1.1 connection after the request headers: a CONNECT (a 2xx opens the
 * tunnel), an upgrade such as websocket (a 101 does), or an `Upgrade: h2c` request, which
 * nodevoy serves as the plain request it also is (as Envoy, which ignores h2c upgrades).
 */
export type Http1TakeoverKind = 'connect' | 'upgrade' | 'h2c';

/** What an h2c upgrade request carries only for the upgrade, taken off as Envoy does. */
const H2C_UPGRADE_HEADERS = ['upgrade', 'http2-settings', 'connection'];

/** What a takeover stream needs of its connection's codec. */
export interface TakeoverWire {
  write(data: Buffer): void;
  readonly writable: boolean;
  onWritable(callback: () => void): void;
  readDisable(disable: boolean): void;
  /** Our FIN: the tunnel's half-close. */
  endWrite(): void;
  /** Written, then closed (an answer that refused the tunnel). */
  closeWhenWritten(): void;
  abort(): void;
}

/**
 * An HTTP/1.1 exchange that has the connection after its request head (a CONNECT, an upgrade).
 * An answer that opens the tunnel is written without framing and the connection carries the
 * tunnel from then on; any other answer ends with the connection.
 */
export class Http1TakeoverStream implements DownstreamStream {
  readonly protocol: DownstreamProtocol;
  readonly headers: HeaderMap;
  readonly headersEndStream: boolean;
  readonly codecIssue: CodecIssue | undefined;
  /** An h2c request's body length: the bytes after the headers that are still the request. */
  private requestBodyLeft: number;
  private done = false;
  /** The answer opened the tunnel (a 2xx to CONNECT, a 101 to an upgrade). */
  private tunnel = false;
  private callbacks: DownstreamStreamCallbacks | undefined;
  /** Bytes (and the client's FIN, as an empty last one) before the stream started or while it is paused. */
  private held: Array<{ data: Buffer; end: boolean }> = [];
  private paused = false;
  private readingDisabled = false;

  constructor(
    req: ParsedRequest,
    private readonly wire: TakeoverWire,
    private readonly kind: Http1TakeoverKind,
    options: Http1Options,
  ) {
    this.protocol = protocolOf(req);
    this.headers = requestHeaders(req, kind === 'connect');
    this.codecIssue = http1RequestIssue(req, options);
    if (kind === 'h2c') for (const name of H2C_UPGRADE_HEADERS) this.headers.remove(name);
    this.requestBodyLeft = kind === 'h2c' ? Number(firstHeader(req.rawHeaders, 'content-length') ?? 0) : Infinity;
    this.headersEndStream = this.requestBodyLeft === 0;
  }

  start(callbacks: DownstreamStreamCallbacks): void {
    this.callbacks = callbacks;
    // Bytes that came with the request head are delivered once the stream has started.
    if (this.held.length > 0) queueMicrotask(() => this.deliverHeld());
  }

  /** The connection's bytes after the request head; `end`: the client's FIN. */
  onBytes(data: Buffer, end: boolean): void {
    if (this.done && !this.tunnel) return;
    if (this.callbacks && !this.paused && this.held.length === 0) this.deliver(data, end);
    else if (data.length > 0 || end) this.held.push({ data, end });
  }

  /** The connection closed. */
  onClosed(): void {
    if (this.done) return;
    this.done = true;
    this.callbacks?.onReset('downstream connection closed');
  }

  readDisable(disable: boolean): void {
    this.paused = disable;
    if (disable !== this.readingDisabled) {
      this.readingDisabled = disable;
      this.wire.readDisable(disable);
    }
    if (!disable) this.deliverHeld();
  }

  respondContinue(): void {
    if (!this.done) this.wire.write(CONTINUE);
  }

  respondHeaders(headers: HeaderMap, endStream: boolean): void {
    const status = Number(headers.get(':status') ?? 200);
    const tunnel = this.kind === 'connect' ? status >= 200 && status < 300 : this.kind === 'upgrade' && status === 101;
    const lines = [`HTTP/1.1 ${status} ${reasonPhrase(status)}`];
    const regular = headers.clone();
    if (tunnel) {
      // A 2xx to CONNECT or a 101 has no body framing: what follows is the tunnel (RFC 9110 §9.3.6, §15.2.2).
      regular.remove('content-length');
      regular.remove('transfer-encoding');
    } else {
      // Any other answer is the exchange's last: its body runs to the connection's close.
      regular.remove('transfer-encoding');
      regular.set('connection', 'close');
    }
    for (const [name, value] of regular) if (!name.startsWith(':') && !UNSAFE_HEADER_VALUE.test(value)) lines.push(`${name}: ${value}`);
    this.tunnel = tunnel;
    this.wire.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
    if (endStream) this.finish();
  }

  respondData(data: Buffer, endStream: boolean): boolean {
    if (data.length > 0 && !this.done) this.wire.write(data);
    if (endStream) this.finish();
    return this.wire.writable;
  }

  respondTrailers(): void {
    this.finish();
  }

  onWritable(callback: () => void): void {
    this.wire.onWritable(callback);
  }

  reset(): void {
    this.done = true;
    this.wire.abort();
  }

  closeConnectionAfterResponse(): void {
    // The connection always closes when this exchange ends.
  }

  drainConnection(): void {
    // Same: nothing follows this exchange on the connection.
  }

  private deliverHeld(): void {
    while (this.callbacks && !this.paused && this.held.length > 0) {
      const next = this.held.shift() as { data: Buffer; end: boolean };
      this.deliver(next.data, next.end);
    }
  }

  /** The tunnel's bytes, or an h2c request's body up to its length (anything after is dropped: the connection closes). */
  private deliver(data: Buffer, end: boolean): void {
    const callbacks = this.callbacks as DownstreamStreamCallbacks;
    if (this.requestBodyLeft === Infinity) {
      if (data.length > 0 || end) callbacks.onData(data, end);
      return;
    }
    if (this.requestBodyLeft === 0) return;
    if (end && data.length < this.requestBodyLeft) {
      callbacks.onData(data, true);
      this.requestBodyLeft = 0;
      return;
    }
    const body = data.subarray(0, this.requestBodyLeft);
    this.requestBodyLeft -= body.length;
    if (body.length > 0) callbacks.onData(body, this.requestBodyLeft === 0);
  }

  /**
   * A tunnel ends with the connection's FIN; an answer that refused the tunnel closes the
   * connection once written (not left half-open for as long as the client keeps its side).
   */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.tunnel) this.wire.endWrite();
    else this.wire.closeWhenWritten();
  }
}
