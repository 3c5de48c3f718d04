import { HeaderMap, LAST_CHUNK, chunkOf, lastChunkWithTrailers } from '@nodevoy/http';
import type { CodecIssue, DownstreamProtocol, DownstreamStream, DownstreamStreamCallbacks } from '../downstream-stream.js';
import { http1RequestIssue, requestHeaders, type Http1Options } from '../http1-streams.js';
import { firstHeader, isHttp10, joinedHeader, type ParsedRequest } from './parsed-request.js';
import { CONTINUE, responseHead, type BodyFraming } from './response-head.js';

const EMPTY = Buffer.alloc(0);

/** What a request/response exchange needs of its connection's codec. */
export interface Http1Wire {
  write(data: Buffer): void;
  /** False while the client is behind (the connection above its write-buffer high watermark). */
  readonly writable: boolean;
  onWritable(callback: () => void): void;
  /** Counted as the connection's: every `true` is matched by one `false`. */
  readDisable(disable: boolean): void;
  /** The exchange is over; `closeConnection`: the connection closes once the response is written. */
  exchangeDone(stream: Http1ServerStream, closeConnection: boolean): void;
  /** The exchange ends abruptly: the connection closes. */
  abort(): void;
}

/** A body event that arrived before the connection manager could take it. */
type Held = Buffer | { readonly trailers: readonly string[] };

/**
 * One HTTP/1.x request and its response on nodevoy's own codec: the request's body as llhttp
 * parses it (held while the connection manager has not started the stream or has paused it),
 * the response written with Envoy's framing straight onto the connection.
 */
export class Http1ServerStream implements DownstreamStream {
  readonly protocol: DownstreamProtocol;
  readonly headers: HeaderMap;
  readonly headersEndStream: boolean;
  readonly codecIssue: CodecIssue | undefined;
  private callbacks: DownstreamStreamCallbacks | undefined;
  private held: Held[] = [];
  private paused = false;
  /** This stream has the connection's reading disabled (its held body grew, or it paused). */
  private holdingConnection = false;
  private discarding = false;
  private complete = false;
  private headSent = false;
  private framing: BodyFraming = 'raw';
  private closeConnection: boolean;
  private finished = false;
  private readonly isHead: boolean;

  constructor(
    private readonly request: ParsedRequest,
    private readonly wire: Http1Wire,
    private readonly options: Http1Options,
  ) {
    this.protocol = isHttp10(request) ? 'HTTP/1.0' : 'HTTP/1.1';
    this.headers = requestHeaders(request, false, options);
    // Chunks win over a length (the parser only lets both through with `allow_chunked_length`): the length goes, as in Envoy.
    if (this.headers.has('transfer-encoding')) this.headers.remove('content-length');
    this.codecIssue = http1RequestIssue(request, options);
    const length = firstHeader(request.rawHeaders, 'content-length');
    this.headersEndStream = (length === undefined || Number(length) === 0) && joinedHeader(request.rawHeaders, 'transfer-encoding') === undefined;
    this.isHead = request.method === 'HEAD';
    // A request that asked to close (or an HTTP/1.0 one without keep-alive) gets Envoy's `connection: close`.
    this.closeConnection = !request.shouldKeepAlive;
  }

  readonly parsedWholeRequest = (): boolean => this.complete;

  readonly abandonRequest = (): void => {
    this.discarding = true;
    this.held = [];
    this.releaseConnection();
  };

  start(callbacks: DownstreamStreamCallbacks): void {
    this.callbacks = callbacks;
    // What arrived before is delivered once the connection manager has finished starting the
    // stream (its headers decoded), never from inside `start`.
    if (this.held.length > 0) queueMicrotask(() => this.deliverHeld());
  }

  /** Request body bytes, from the parser. */
  onBody(data: Buffer): void {
    if (this.discarding || this.headersEndStream || this.finished) return;
    if (this.callbacks && !this.paused && this.held.length === 0) {
      this.callbacks.onData(data, false);
      return;
    }
    this.held.push(data);
    // Held bytes are bounded: the connection reads no more until the stream takes them.
    if (!this.holdingConnection) {
      this.holdingConnection = true;
      this.wire.readDisable(true);
    }
  }

  /** The request is complete; `trailers`: its trailer fields, if any. */
  onComplete(trailers: readonly string[]): void {
    this.complete = true;
    if (this.discarding || this.headersEndStream) return;
    if (this.callbacks && !this.paused && this.held.length === 0) this.deliverEnd(trailers);
    else this.held.push({ trailers });
  }

  /** The connection went away before the exchange completed. */
  onConnectionClosed(): void {
    if (this.finished) return;
    this.finished = true;
    this.callbacks?.onReset('downstream connection closed');
  }

  readDisable(disable: boolean): void {
    this.paused = disable;
    if (disable) {
      if (this.finished) return;
      if (!this.holdingConnection && !this.complete) {
        this.holdingConnection = true;
        this.wire.readDisable(true);
      }
      return;
    }
    this.deliverHeld();
  }

  respondContinue(): void {
    if (!this.headSent && !this.finished) this.wire.write(CONTINUE);
  }

  respondHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.finished || this.headSent) return;
    const head = responseHead(headers, endStream, { isHead: this.isHead, isHttp10: this.protocol === 'HTTP/1.0' }, this.closeConnection);
    this.headSent = true;
    this.framing = head.framing;
    if (head.closeDelimited) this.closeConnection = true;
    this.wire.write(head.bytes);
    if (endStream) this.finish();
  }

  respondData(data: Buffer, endStream: boolean): boolean {
    if (this.finished) return true;
    if (data.length > 0) {
      if (this.framing === 'chunked') for (const piece of chunkOf(data)) this.wire.write(piece);
      else if (this.framing === 'raw') this.wire.write(data);
    }
    if (endStream) this.finish();
    return this.wire.writable;
  }

  respondTrailers(trailers: HeaderMap): void {
    if (this.finished) return;
    // As Envoy's HTTP/1.1 codec: trailers go out only with `enable_trailers` (chunked bodies).
    if (this.framing === 'chunked' && this.options.enableTrailers) {
      this.framing = 'none';
      this.wire.write(lastChunkWithTrailers(trailers));
    }
    this.finish();
  }

  onWritable(callback: () => void): void {
    this.wire.onWritable(callback);
  }

  reset(): void {
    if (this.finished) return;
    this.finished = true;
    this.wire.abort();
  }

  closeConnectionAfterResponse(): void {
    this.closeConnection = true;
  }

  drainConnection(): void {
    this.closeConnection = true;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.framing === 'chunked') this.wire.write(LAST_CHUNK);
    this.releaseConnection();
    this.wire.exchangeDone(this, this.closeConnection);
  }

  private deliverHeld(): void {
    const callbacks = this.callbacks;
    if (!callbacks) return;
    while (this.held.length > 0 && !this.paused) {
      const next = this.held.shift() as Held;
      if (Buffer.isBuffer(next)) callbacks.onData(next, false);
      else this.deliverEnd(next.trailers);
    }
    if (!this.paused) this.releaseConnection();
  }

  private deliverEnd(trailers: readonly string[]): void {
    // As Envoy's codec: with `enable_trailers` trailers end the request, else the body's end does.
    if (this.options.enableTrailers && trailers.length > 0) this.callbacks?.onTrailers(HeaderMap.fromRaw(trailers));
    else this.callbacks?.onData(EMPTY, true);
  }

  private releaseConnection(): void {
    if (!this.holdingConnection) return;
    this.holdingConnection = false;
    this.wire.readDisable(false);
  }
}
