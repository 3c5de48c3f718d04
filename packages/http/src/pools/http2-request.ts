import type { HopFailure } from '@nodevoy/core';
import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { HeaderMap, stripHopByHop } from '../headers.js';
import type { RequestHead, UpstreamRequest, UpstreamRequestCallbacks } from './types.js';
import { UpstreamConnectError } from './upstream-connector.js';

const EMPTY = Buffer.alloc(0);

function regularHeaders(headers: IncomingHttpHeaders): HeaderMap {
  const map = HeaderMap.fromHttp2(headers);
  for (const [name] of [...map]) if (name.startsWith(':')) map.remove(name);
  return map;
}

/**
 * One stream on a shared HTTP/2 session. CONNECT is RFC 9113 §8.5 plain CONNECT: `:method` and
 * `:authority` only, then the stream's DATA frames are the tunnel.
 */
export class Http2UpstreamRequest implements UpstreamRequest {
  private readonly stream: ClientHttp2Stream;
  private done = false;
  private responded = false;
  private paused = false;
  private trailers: HeaderMap | undefined;

  constructor(
    session: ClientHttp2Session,
    head: RequestHead,
    endStream: boolean,
    private readonly callbacks: UpstreamRequestCallbacks,
    onClosed: () => void,
    /** Over an internal hop: why the inner listener's side gave up, if it said. */
    private readonly hopFailure: () => HopFailure | undefined,
  ) {
    const pseudo: Record<string, string> =
      head.method === 'CONNECT'
        ? { ':method': 'CONNECT', ':authority': head.authority }
        : { ':method': head.method, ':path': head.path, ':authority': head.authority, ':scheme': head.scheme };
    // HTTP/2 carries no connection-specific headers (an HTTP/1.1 upgrade's included).
    const regular = head.headers.clone();
    stripHopByHop(regular);
    this.stream = session.request({ ...regular.toHttp2(), ...pseudo }, { endStream });
    if (session.connecting) session.once('connect', () => this.callbacks.onAssigned('http2'));
    else queueMicrotask(() => this.callbacks.onAssigned('http2'));
    this.stream.on('continue', () => this.callbacks.onContinue?.());
    this.stream.on('response', (headers, flags) => {
      this.responded = true;
      const ended = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      if (ended) this.done = true;
      this.callbacks.onResponseHeaders({ status: Number(headers[':status'] ?? 502), headers: regularHeaders(headers), protocol: 'HTTP/2' }, ended);
      // node:http2 emits 'response' on the next tick, after DATA in the same read may already
      // be buffered: the body is read only from here, so it never overtakes its headers.
      this.stream.on('data', (chunk: Buffer) => this.callbacks.onResponseData(chunk, false));
      this.stream.on('end', () => {
        if (this.done) return;
        this.done = true;
        if (this.trailers) this.callbacks.onResponseTrailers(this.trailers);
        else this.callbacks.onResponseData(EMPTY, true);
      });
      if (this.paused) this.stream.pause();
    });
    // Trailers are reported as the stream is parsed, maybe before the buffered body is read:
    // they are passed on at the body's end, so they never overtake it.
    this.stream.on('trailers', (trailers) => (this.trailers = regularHeaders(trailers)));
    this.stream.on('drain', () => this.callbacks.onWritable());
    this.stream.on('error', (error: Error) => this.fail(error));
    this.stream.on('close', () => {
      onClosed();
      if (!this.done && this.stream.rstCode !== constants.NGHTTP2_NO_ERROR) this.fail(new Error(`stream reset (code ${this.stream.rstCode})`));
      else if (!this.done && !this.responded) this.fail(new Error('stream closed before a response'));
    });
  }

  sendData(data: Buffer, endStream: boolean): boolean {
    if (this.stream.destroyed) return true;
    if (endStream) {
      this.stream.end(data.length > 0 ? data : undefined);
      return true;
    }
    return data.length === 0 || this.stream.write(data);
  }

  readDisable(disable: boolean): void {
    this.paused = disable;
    // Before the response there is no reader yet: resuming now would drop the body.
    if (!this.responded) return;
    if (disable) this.stream.pause();
    else this.stream.resume();
  }

  reset(): void {
    this.done = true;
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    if (error instanceof UpstreamConnectError) {
      this.callbacks.onFailure(error.failure);
      return;
    }
    const hopFailure = this.hopFailure();
    this.callbacks.onFailure({ kind: 'reset', resetReason: 'remote reset', detail: error.message, ...(hopFailure ? { hopFailure } : {}) });
  }
}
