import type { UpstreamRequester } from '@nodevoy/core';
import { LAST_CHUNK, chunkOf } from '../../chunked-body.js';
import { HeaderMap } from '../../headers.js';
import type { RequestHead, UpstreamFailure, UpstreamRequest, UpstreamRequestCallbacks } from '../types.js';
import type { Http1ClientConnection, Http1Exchange } from './http1-client-connection.js';
import { serializeRequestHead } from './request-head.js';

const EMPTY = Buffer.alloc(0);

/** How a request waits for, and gives back, a connection of its pool. */
export interface Http1ConnectionSource {
  /**
   * Calls the request's `ready` with a connection (never synchronously), or `failed` if none
   * could be opened; a connection opened for it is for `requester`.
   */
  acquire(request: Http1UpstreamRequest, requester: UpstreamRequester | undefined): void;
  /** The request no longer wants a connection it has not been given yet. */
  cancel(request: Http1UpstreamRequest): void;
}

/**
 * One request over an HTTP/1.1 pool on nodevoy's own codec. Body bytes sent before a connection
 * is assigned wait in order; the head is written first. A CONNECT turns into a raw tunnel on the
 * connection once the answer arrives, and so does an upgrade answered 101; the connection then
 * leaves the pool.
 */
export class Http1UpstreamRequest implements UpstreamRequest, Http1Exchange {
  readonly isHead: boolean;
  readonly isConnect: boolean;
  private connection: Http1ClientConnection | undefined;
  private readonly head: Buffer;
  private readonly chunked: boolean;
  /** Body bytes (and their end) sent before a connection was assigned. */
  private waiting: Buffer[] = [];
  private waitingEnd = false;
  private requestEnded = false;
  private tunnel = false;
  private done = false;
  private readDisabled = false;
  private bodiless = false;

  constructor(
    private readonly source: Http1ConnectionSource,
    head: RequestHead,
    headersOnly: boolean,
    requester: UpstreamRequester | undefined,
    private readonly callbacks: UpstreamRequestCallbacks,
  ) {
    this.isHead = head.method === 'HEAD';
    this.isConnect = head.method === 'CONNECT';
    const serialized = serializeRequestHead(head, headersOnly);
    this.head = serialized.bytes;
    this.chunked = serialized.chunked;
    this.waitingEnd = headersOnly;
    source.acquire(this, requester);
  }

  /** The pool gave this request a connection: the head goes out, then what waited. */
  ready(connection: Http1ClientConnection): void {
    this.connection = connection;
    connection.assign(this);
    this.callbacks.onAssigned('http1');
    if (this.done) return;
    connection.write(this.head);
    const waiting = this.waiting;
    this.waiting = [];
    for (const data of waiting) this.writeBody(connection, data);
    if (this.waitingEnd) this.endRequest(connection);
    if (this.readDisabled) connection.readDisable(true);
  }

  /** No connection could be had (connect failure, overflow). */
  failed(failure: UpstreamFailure): void {
    if (this.done) return;
    this.done = true;
    this.callbacks.onFailure(failure);
  }

  sendData(data: Buffer, endStream: boolean): boolean {
    const connection = this.connection;
    if (!connection) {
      if (data.length > 0) this.waiting.push(data);
      if (endStream) this.waitingEnd = true;
      return true;
    }
    if (this.requestEnded) return true;
    if (data.length > 0) this.writeBody(connection, data);
    if (endStream) this.endRequest(connection);
    return connection.writable;
  }

  readDisable(disable: boolean): void {
    this.readDisabled = disable;
    this.connection?.readDisable(disable);
  }

  reset(): void {
    const connection = this.connection;
    this.connection = undefined;
    // A complete exchange leaves its connection to the pool; any other takes it down with it
    // (what is in flight on it belongs to nobody).
    if (this.done && (this.requestEnded || connection === undefined)) return;
    this.done = true;
    if (connection) connection.abort('request reset');
    else this.source.cancel(this);
  }

  // Http1Exchange: what the connection hears.

  onContinue(): void {
    if (!this.done) this.callbacks.onContinue?.();
  }

  onResponseHead(status: number, rawHeaders: string[], tunnel: boolean): void {
    if (this.done) return;
    this.tunnel = tunnel;
    const headers = HeaderMap.fromRaw(rawHeaders);
    // Chunks win over a length (the parser only lets both through with `allow_chunked_length`): the length goes, as in Envoy.
    if (headers.has('transfer-encoding')) headers.remove('content-length');
    // As Envoy's codec: a response that can have no body ends with its headers.
    this.bodiless = !tunnel && (this.isHead || status === 204 || status === 304 || (headers.get('content-length') === '0' && !headers.has('transfer-encoding')));
    this.callbacks.onResponseHeaders({ status, headers, protocol: 'HTTP/1.1' }, this.bodiless);
  }

  onResponseBody(data: Buffer): void {
    if (!this.done) this.callbacks.onResponseData(data, false);
  }

  onResponseComplete(trailers: string[]): void {
    if (this.done) return;
    if (trailers.length > 0) this.callbacks.onResponseTrailers(HeaderMap.fromRaw(trailers));
    this.done = true;
    if (!this.bodiless) this.callbacks.onResponseData(EMPTY, true);
  }

  onTunnelData(data: Buffer, end: boolean): void {
    if (this.done) return;
    if (end) this.done = true;
    if (data.length > 0 || end) this.callbacks.onResponseData(data, end);
  }

  onWritable(): void {
    if (!this.done || this.tunnel) this.callbacks.onWritable();
  }

  onConnectionFailure(kind: 'protocol' | 'reset', detail: string): void {
    const hopFailure = this.connection?.connection.hopFailure;
    this.connection = undefined;
    if (this.done) return;
    this.done = true;
    this.callbacks.onFailure({ kind, resetReason: kind === 'protocol' ? 'protocol error' : 'remote reset', detail, ...(hopFailure ? { hopFailure } : {}) });
  }

  onConnectionClosed(reset: boolean, reason: string): void {
    const connection = this.connection;
    this.connection = undefined;
    if (this.done) return;
    this.done = true;
    if (!reset) {
      // Closed without a FIN read: our own close after the client's end, or the peer went away.
      this.callbacks.onResponseData(EMPTY, true);
      return;
    }
    const hopFailure = connection?.connection.hopFailure;
    this.callbacks.onFailure({ kind: 'reset', resetReason: 'remote reset', detail: `connection reset: ${reason}`, ...(hopFailure ? { hopFailure } : {}) });
  }

  private writeBody(connection: Http1ClientConnection, data: Buffer): void {
    if (this.chunked) for (const piece of chunkOf(data)) connection.write(piece);
    else connection.write(data);
  }

  private endRequest(connection: Http1ClientConnection): void {
    if (this.requestEnded) return;
    this.requestEnded = true;
    if (this.tunnel) {
      // An HTTP/1.1 tunnel cannot half-close: its end closes the connection once written.
      connection.endWrite();
      connection.close('tunnel ended');
      return;
    }
    if (this.chunked) connection.write(LAST_CHUNK);
    connection.requestDone();
  }
}
