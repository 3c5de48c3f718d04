import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { HeaderMap } from '@nodevoy/http';
import { discardRequestBody, type DownstreamStream, type DownstreamStreamCallbacks } from './downstream-stream.js';

const EMPTY = Buffer.alloc(0);

/** One HTTP/2 request stream. Headers arrive with pseudo-headers already, as Envoy keeps them. */
export class Http2DownstreamStream implements DownstreamStream {
  readonly protocol = 'HTTP/2' as const;
  readonly headers: HeaderMap;
  private done = false;
  private responded = false;
  /** What goes out when node:http2 asks for the trailers (after the last DATA): none unless given. */
  private trailers: Record<string, string | string[]> = {};

  constructor(
    private readonly stream: ServerHttp2Stream,
    rawHeaders: IncomingHttpHeaders,
    readonly headersEndStream: boolean,
  ) {
    const headers = HeaderMap.fromHttp2(rawHeaders);
    // HTTP/2 may carry Host instead of :authority; Envoy folds it in.
    if (!headers.has(':authority') && headers.has('host')) headers.set(':authority', headers.get('host') as string);
    headers.remove('host');
    this.headers = headers;
  }

  start(callbacks: DownstreamStreamCallbacks): void {
    const stream = this.stream;
    stream.on('data', (chunk: Buffer) => callbacks.onData(chunk, false));
    // Trailers are reported as they are parsed, maybe before a paused body is read: they are
    // passed on at the body's end, so they never overtake it.
    let trailers: HeaderMap | undefined;
    stream.on('trailers', (received) => (trailers = HeaderMap.fromHttp2(received)));
    stream.on('end', () => {
      // Trailers end the request, as Envoy's codecs deliver them; else the body's end does.
      if (trailers) callbacks.onTrailers(trailers);
      else if (!this.headersEndStream) callbacks.onData(EMPTY, true);
    });
    stream.on('error', () => {});
    stream.on('close', () => {
      if (!this.done) callbacks.onReset(stream.rstCode === constants.NGHTTP2_NO_ERROR ? 'stream closed' : `stream reset (code ${stream.rstCode})`);
    });
    if (this.headersEndStream) stream.resume();
  }

  readDisable(disable: boolean): void {
    if (disable) this.stream.pause();
    else this.stream.resume();
  }

  respondContinue(): void {
    if (!this.stream.destroyed && !this.responded) this.stream.additionalHeaders({ ':status': 100 });
  }

  respondHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.stream.destroyed) return;
    this.responded = true;
    const out = headers.clone();
    // Connection-specific headers are illegal in HTTP/2 (RFC 9113 §8.2.2).
    for (const name of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']) out.remove(name);
    if (endStream) {
      this.stream.respond(out.toHttp2(), { endStream });
      this.done = true;
      return;
    }
    // A body may end in trailers (gRPC's grpc-status): node:http2 asks for them once the body is
    // out; with none it ends the stream with an empty DATA frame, as without trailers.
    this.stream.respond(out.toHttp2(), { waitForTrailers: true });
    this.stream.once('wantTrailers', () => this.stream.sendTrailers(this.trailers));
  }

  respondData(data: Buffer, endStream: boolean): boolean {
    if (this.stream.destroyed) return true;
    if (endStream) {
      this.done = true;
      this.stream.end(data.length > 0 ? data : undefined);
      return true;
    }
    return data.length === 0 || this.stream.write(data);
  }

  respondTrailers(trailers: HeaderMap): void {
    const regular = trailers.clone();
    for (const [name] of [...regular]) if (name.startsWith(':')) regular.remove(name);
    this.trailers = regular.toHttp2();
    this.respondData(EMPTY, true);
  }

  onWritable(callback: () => void): void {
    this.stream.once('drain', callback);
  }

  readonly abandonRequest = (): void => {
    this.done = true;
    discardRequestBody(this.stream);
  };

  reset(): void {
    this.done = true;
    discardRequestBody(this.stream);
    if (!this.stream.destroyed) this.stream.close(this.responded ? constants.NGHTTP2_INTERNAL_ERROR : constants.NGHTTP2_REFUSED_STREAM);
  }

  closeConnectionAfterResponse(): void {
    // One stream's error does not end an HTTP/2 connection (Envoy resets the stream only).
  }

  drainConnection(): void {
    this.stream.session?.close();
  }
}
