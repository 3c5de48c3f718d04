import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HeaderMap, reasonPhrase } from '@nodevoy/http';
import { discardRequestBody, type CodecIssue, type DownstreamProtocol, type DownstreamStream, type DownstreamStreamCallbacks } from './downstream-stream.js';

const EMPTY = Buffer.alloc(0);

/** Envoy's view of an HTTP/1.x request: the request line and Host as pseudo-headers. */
/** How the connection manager's `http_protocol_options` shape HTTP/1.x requests and responses. */
export interface Http1Options {
  /** `enable_trailers`: responses may carry trailers (chunked bodies). */
  readonly enableTrailers: boolean;
  /** `default_host_for_http_10`: the authority of an HTTP/1.0 request without Host. */
  readonly defaultHostForHttp10: string | undefined;
  /** `common_http_protocol_options.max_headers_count` (Envoy's default: 100). */
  readonly maxHeadersCount: number;
}

/** Envoy's codec checks on a parsed HTTP/1.x request, in the order it makes them. */
export function http1RequestIssue(req: IncomingMessage, options: Http1Options): CodecIssue | undefined {
  // node's parser takes HTTP/0.9 and HTTP/2.0 request lines; Envoy serves 1.x only.
  if (req.httpVersionMajor !== 1) return { status: 426, details: 'codec_error:unsupported_version' };
  if (req.rawHeaders.length / 2 > options.maxHeadersCount) return { status: 431, details: 'codec_error:too_many_headers' };
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  // RFC 9112 §3.2: a request with more than one Host is answered 400 (Envoy joins them).
  if (hosts > 1) return { status: 400, details: 'codec_error:duplicate_host' };
  const codings = req.headers['transfer-encoding'];
  // Only `chunked` is implemented, as in Envoy: another coding would reach the upstream undone.
  if (codings !== undefined && codings.trim().toLowerCase() !== 'chunked') return { status: 501, details: 'codec_error:unsupported_transfer_encoding' };
  if (!requestTargetValid(req.method ?? '', req.url ?? '')) return { status: 400, details: 'codec_error:invalid_request_target' };
  const host = req.headers.host;
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

export function requestHeaders(req: IncomingMessage, isConnect: boolean, options?: Http1Options): HeaderMap {
  const headers = new HeaderMap();
  headers.add(':method', req.method ?? 'GET');
  let host = req.headers.host ?? (req.httpVersion === '1.0' ? options?.defaultHostForHttp10 : undefined);
  let path = req.url ?? '/';
  if (!isConnect && ABSOLUTE_URL.test(path)) {
    // A proxy-style request (`GET http://host/path`): the URL's authority wins over Host.
    const url = new URL(path);
    host = url.host;
    path = `${url.pathname}${url.search}`;
  }
  if (isConnect) {
    // The request-target wins over Host for CONNECT (Envoy's IgnoreH11HostField).
    headers.add(':authority', req.url ?? '');
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

function protocolOf(req: IncomingMessage): DownstreamProtocol {
  return req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
}

/** A regular HTTP/1.x request served through node:http's ServerResponse. */
export class Http1RequestStream implements DownstreamStream {
  readonly protocol: DownstreamProtocol;
  readonly headers: HeaderMap;
  readonly headersEndStream: boolean;
  readonly codecIssue: CodecIssue | undefined;
  private callbacks: DownstreamStreamCallbacks | undefined;
  private finished = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly options: Http1Options,
  ) {
    this.protocol = protocolOf(req);
    this.headers = requestHeaders(req, false, options);
    this.codecIssue = http1RequestIssue(req, options);
    const length = req.headers['content-length'];
    this.headersEndStream = (length === undefined || Number(length) === 0) && req.headers['transfer-encoding'] === undefined;
    // nodevoy writes the headers Envoy writes: no automatic Date or Connection: keep-alive.
    res.sendDate = false;
    res.removeHeader('connection');
    // A request that asked to close (or an HTTP/1.0 one without keep-alive) gets Envoy's `connection: close`.
    if (!res.shouldKeepAlive) this.closeConnectionAfterResponse();
  }

  readonly parsedWholeRequest = (): boolean => this.req.complete;

  readonly abandonRequest = (): void => discardRequestBody(this.req);

  start(callbacks: DownstreamStreamCallbacks): void {
    this.callbacks = callbacks;
    if (this.headersEndStream) {
      this.req.resume();
    } else {
      this.req.on('data', (chunk: Buffer) => callbacks.onData(chunk, false));
      this.req.on('end', () => {
        // As Envoy's codec: with `enable_trailers` trailers end the request, else the body's end does.
        if (this.options.enableTrailers && this.req.rawTrailers.length > 0) callbacks.onTrailers(HeaderMap.fromRaw(this.req.rawTrailers));
        else callbacks.onData(EMPTY, true);
      });
    }
    this.res.on('close', () => {
      if (!this.finished) callbacks.onReset('downstream connection closed');
    });
  }

  readDisable(disable: boolean): void {
    if (disable) this.req.pause();
    else this.req.resume();
  }

  respondContinue(): void {
    if (!this.res.headersSent && !this.finished) this.res.writeContinue();
  }

  respondHeaders(headers: HeaderMap, endStream: boolean): void {
    const status = Number(headers.get(':status') ?? 200);
    this.res.writeHead(status, reasonPhrase(status), headers.toRaw());
    if (endStream) this.end();
  }

  respondData(data: Buffer, endStream: boolean): boolean {
    if (endStream) {
      this.end(data);
      return true;
    }
    return data.length === 0 || this.res.write(data);
  }

  respondTrailers(trailers: HeaderMap): void {
    // As Envoy's HTTP/1.1 codec: trailers go out only with `enable_trailers` (chunked bodies).
    if (this.options.enableTrailers) this.res.addTrailers([...trailers].filter(([name]) => !name.startsWith(':')));
    this.end();
  }

  onWritable(callback: () => void): void {
    this.res.once('drain', callback);
  }

  reset(): void {
    this.finished = true;
    this.res.socket?.destroy();
  }

  closeConnectionAfterResponse(): void {
    this.res.shouldKeepAlive = false;
    if (!this.res.headersSent) this.res.setHeader('connection', 'close');
  }

  drainConnection(): void {
    this.closeConnectionAfterResponse();
  }

  private end(data: Buffer = EMPTY): void {
    if (this.finished) return;
    this.finished = true;
    this.res.end(data.length > 0 ? data : undefined);
  }
}

/**
 * What takes over an HTTP/1.1 connection after the request headers: a CONNECT (a 2xx opens the
 * tunnel), an upgrade such as websocket (a 101 does), or an `Upgrade: h2c` request, which
 * nodevoy serves as the plain request it also is (as Envoy, which ignores h2c upgrades).
 */
export type Http1TakeoverKind = 'connect' | 'upgrade' | 'h2c';

/** What an h2c upgrade request carries only for the upgrade, taken off as Envoy does. */
const H2C_UPGRADE_HEADERS = ['upgrade', 'http2-settings', 'connection'];

/**
 * An HTTP/1.1 exchange on the raw connection node:http hands over after the request headers
 * (its CONNECT and upgrade events). An answer that opens the tunnel is written without framing
 * and the connection carries the tunnel from then on; any other answer ends with the connection.
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

  constructor(
    req: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
    private readonly kind: Http1TakeoverKind,
    options: Http1Options,
  ) {
    this.protocol = protocolOf(req);
    this.headers = requestHeaders(req, kind === 'connect');
    this.codecIssue = http1RequestIssue(req, options);
    if (kind === 'h2c') for (const name of H2C_UPGRADE_HEADERS) this.headers.remove(name);
    this.requestBodyLeft = kind === 'h2c' ? Number(req.headers['content-length'] ?? 0) : Infinity;
    this.headersEndStream = this.requestBodyLeft === 0;
  }

  start(callbacks: DownstreamStreamCallbacks): void {
    if (this.head.length > 0) queueMicrotask(() => this.onRequestBytes(callbacks, this.head));
    this.socket.on('data', (chunk: Buffer) => this.onRequestBytes(callbacks, chunk));
    this.socket.on('end', () => {
      if (this.requestBodyLeft > 0) callbacks.onData(EMPTY, true);
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      if (!this.done) callbacks.onReset('downstream connection closed');
    });
  }

  readDisable(disable: boolean): void {
    if (disable) this.socket.pause();
    else this.socket.resume();
  }

  respondContinue(): void {
    if (!this.done) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
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
    for (const [name, value] of regular) if (!name.startsWith(':')) lines.push(`${name}: ${value}`);
    this.tunnel = tunnel;
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (endStream) this.finish();
  }

  respondData(data: Buffer, endStream: boolean): boolean {
    const ok = data.length === 0 || this.socket.write(data);
    if (endStream) this.finish();
    return ok;
  }

  respondTrailers(): void {
    this.finish();
  }

  onWritable(callback: () => void): void {
    this.socket.once('drain', callback);
  }

  reset(): void {
    this.done = true;
    this.socket.destroy();
  }

  closeConnectionAfterResponse(): void {
    // The connection always closes when this exchange ends.
  }

  drainConnection(): void {
    // Same: nothing follows this exchange on the connection.
  }

  /** The tunnel's bytes, or an h2c request's body up to its length (anything after is dropped: the connection closes). */
  private onRequestBytes(callbacks: DownstreamStreamCallbacks, chunk: Buffer): void {
    if (this.requestBodyLeft === Infinity) {
      callbacks.onData(chunk, false);
      return;
    }
    if (this.requestBodyLeft === 0) return;
    const body = chunk.subarray(0, this.requestBodyLeft);
    this.requestBodyLeft -= body.length;
    callbacks.onData(body, this.requestBodyLeft === 0);
  }

  /**
   * A tunnel ends with the connection's FIN; an answer that refused the tunnel closes the
   * connection once written (not left half-open for as long as the client keeps its side).
   */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.tunnel) this.socket.end();
    else this.socket.end(() => this.socket.destroy());
  }
}
