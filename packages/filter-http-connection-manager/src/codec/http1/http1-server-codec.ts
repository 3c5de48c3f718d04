import type { Connection, ConnectionCallbacks, ConnectionEvent } from '@nodevoy/core';
import type { DownstreamStream } from '../downstream-stream.js';
import { Http1TakeoverStream, type Http1Options, type Http1TakeoverKind, type TakeoverWire } from '../http1-streams.js';
import { codecErrorFor, type CodecError } from '../codec-error.js';
import { HTTPParser, LLHTTP_METHODS, type HeadersCompleteCallback, type LlhttpError, type LlhttpParser } from '@nodevoy/http';
import { Http1ServerStream, type Http1Wire } from './http1-server-stream.js';
import { joinedHeader, type ParsedRequest } from './parsed-request.js';

const EMPTY = Buffer.alloc(0);

export interface Http1CodecEvents {
  onStream(stream: DownstreamStream): void;
  onCodecError(error: CodecError): void;
}

export interface Http1CodecOptions {
  readonly maxRequestHeadersBytes: number;
  readonly http1: Http1Options;
}

/**
 * nodevoy's HTTP/1.1 server codec on one connection: llhttp parses the bytes the connection
 * manager reads; each request becomes a stream whose response is written straight onto the
 * connection. A CONNECT or upgrade request hands the rest of the connection to its stream.
 * Parsing is eager (pipelined requests are parsed as they arrive); the connection manager runs
 * them one at a time, and a request whose body waits holds the connection's reading.
 */
export class Http1ServerCodec implements Http1Wire, TakeoverWire, ConnectionCallbacks {
  private readonly parser: LlhttpParser;
  /** The request whose body is being parsed. */
  private reading: Http1ServerStream | undefined;
  private readonly open = new Set<Http1ServerStream>();
  private takeover: Http1TakeoverStream | undefined;
  private pendingHeaders: string[] = [];
  private pendingUrl = '';
  private failed = false;
  private closed = false;
  private waitingForWritable: Array<() => void> = [];

  constructor(
    private readonly connection: Connection,
    private readonly options: Http1CodecOptions,
    private readonly events: Http1CodecEvents,
  ) {
    this.parser = new HTTPParser();
    this.parser.initialize(HTTPParser.REQUEST, {}, options.maxRequestHeadersBytes, options.http1.allowChunkedLength ? HTTPParser.kLenientChunkedLength : HTTPParser.kLenientNone);
    this.parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      for (const item of headers) this.pendingHeaders.push(item);
      this.pendingUrl += url;
    };
    this.parser[HTTPParser.kOnHeadersComplete] = this.onHeadersComplete;
    this.parser[HTTPParser.kOnBody] = (data: Buffer) => this.reading?.onBody(data);
    this.parser[HTTPParser.kOnMessageComplete] = () => {
      const trailers = this.pendingHeaders;
      this.pendingHeaders = [];
      this.pendingUrl = '';
      this.reading?.onComplete(trailers);
      this.reading = undefined;
    };
    connection.enableHalfClose(true);
    connection.addConnectionCallbacks(this);
  }

  /** Bytes the connection read, in order; `endStream`: the client's FIN. */
  feed(data: Buffer, endStream: boolean): void {
    if (this.takeover) {
      this.takeover.onBytes(data, endStream);
      return;
    }
    if (this.failed || this.closed) return;
    if (data.length > 0) {
      const parsed = this.parser.execute(data);
      if (typeof parsed !== 'number') {
        this.parseError(parsed);
        return;
      }
      // An upgrade or CONNECT: what follows its head is the tunnel's (or the h2c request's body).
      if (this.takeover) {
        const takeover: Http1TakeoverStream = this.takeover;
        if (parsed < data.length) takeover.onBytes(data.subarray(parsed), false);
        if (endStream) takeover.onBytes(EMPTY, true);
        return;
      }
    }
    if (!endStream) return;
    const error = this.parser.finish();
    if (error) this.parseError(error);
    // As node:http (and Envoy, which does not half-close downstream HTTP/1.1): the client's FIN
    // ends the connection's use; what is written before our own FIN still reaches it.
    else this.connection.write(EMPTY, true);
  }

  // Http1Wire

  write(data: Buffer): void {
    this.connection.write(data, false);
  }

  get writable(): boolean {
    return !this.connection.isAboveHighWatermark;
  }

  onWritable(callback: () => void): void {
    this.waitingForWritable.push(callback);
  }

  readDisable(disable: boolean): void {
    this.connection.readDisable(disable);
  }

  exchangeDone(stream: Http1ServerStream, closeConnection: boolean): void {
    this.open.delete(stream);
    if (!closeConnection) return;
    // Nothing more is parsed: the connection ends once the response is written.
    this.failed = true;
    this.closeWhenWritten();
  }

  /** The connection is draining: every exchange under way ends it (`connection: close`), and nothing after them is served. */
  closeAfterOpenExchanges(): void {
    for (const stream of this.open) stream.closeConnectionAfterResponse();
  }

  abort(): void {
    this.connection.close('FlushWrite', 'stream reset');
  }

  /** Our FIN (a tunnel's half-close). */
  endWrite(): void {
    this.connection.write(EMPTY, true);
  }

  /** A codec error's answer (or anything else) written, then the connection closed. */
  closeWhenWritten(): void {
    this.connection.write(EMPTY, true);
    this.connection.close('FlushWrite', 'connection: close');
  }

  /** The connection closes without another byte. */
  destroy(): void {
    this.connection.close('FlushWrite', 'codec error');
  }

  // ConnectionCallbacks

  onEvent(event: ConnectionEvent): void {
    if (event === 'Connected') return;
    this.closed = true;
    const open = [...this.open];
    this.open.clear();
    for (const stream of open) stream.onConnectionClosed();
    this.takeover?.onClosed();
    this.waitingForWritable = [];
    // Not inside a parser callback (a stream may close the connection from one): after it returns.
    queueMicrotask(() => this.parser.close());
  }

  onAboveWriteBufferHighWatermark(): void {}

  onBelowWriteBufferLowWatermark(): void {
    const waiting = this.waitingForWritable;
    this.waitingForWritable = [];
    for (const callback of waiting) callback();
  }

  private readonly onHeadersComplete: HeadersCompleteCallback = (versionMajor, versionMinor, rawHeaders, method, url, _status, _message, upgrade, shouldKeepAlive) => {
    const request: ParsedRequest = {
      method: LLHTTP_METHODS[method ?? -1] ?? 'UNKNOWN',
      url: url ?? this.pendingUrl,
      versionMajor,
      versionMinor,
      rawHeaders: rawHeaders ?? this.pendingHeaders,
      shouldKeepAlive,
    };
    this.pendingHeaders = [];
    this.pendingUrl = '';
    if (upgrade) {
      this.startTakeover(request);
      return 0;
    }
    const stream = new Http1ServerStream(request, this, this.options.http1);
    this.reading = stream;
    this.open.add(stream);
    this.events.onStream(stream);
    // An HTTP/2 preface on an HTTP/1.1-only connection: answered (426) as a request, then closed.
    if (request.method === 'PRI') this.destroy();
    return 0;
  };

  /** A CONNECT, an upgrade (websocket) or an h2c upgrade request: the connection is its stream's from here on. */
  private startTakeover(request: ParsedRequest): void {
    const h2c = joinedHeader(request.rawHeaders, 'upgrade')?.trim().toLowerCase() === 'h2c';
    const kind: Http1TakeoverKind = request.method === 'CONNECT' ? 'connect' : h2c ? 'h2c' : 'upgrade';
    if (h2c && joinedHeader(request.rawHeaders, 'transfer-encoding') !== undefined) {
      this.failed = true;
      this.events.onCodecError({ status: 400, details: 'codec_error:h2c_upgrade_with_chunked_body' });
      return;
    }
    this.takeover = new Http1TakeoverStream(request, this, kind, this.options.http1);
    this.events.onStream(this.takeover);
  }

  private parseError(error: LlhttpError): void {
    this.failed = true;
    this.events.onCodecError(codecErrorFor(error.code, error.reason));
  }
}
