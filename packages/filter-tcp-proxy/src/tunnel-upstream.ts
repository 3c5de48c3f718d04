import type { Connection, Host, UpstreamCluster } from '@nodevoy/core';
import type { HttpPools, RequestHead, ResponseHead, UpstreamCodec, UpstreamRequest } from '@nodevoy/http';
import type { UpstreamLink, UpstreamLinkEvents } from './upstream-link.js';

/** How a tunnel attempt ended before it carried bytes. */
export interface TunnelFailure {
  readonly status: number | undefined;
  readonly response: ResponseHead | undefined;
  /** The refusal's body (up to MAX_REFUSAL_BODY bytes). */
  readonly body: Buffer;
  readonly detail: string;
  /** The TCP connection itself failed (counted as a connect failure by the pool). */
  readonly connectFailure: boolean;
  /** Envoy's reset reason for a failed connection (`connection timeout`...). */
  readonly resetReason: string | undefined;
}

/** How much of a refused tunnel's body is kept to pass on. */
const MAX_REFUSAL_BODY = 16 * 1024;

/** A refused tunnel whose body is still arriving. */
interface Refusal {
  readonly response: ResponseHead;
  readonly chunks: Buffer[];
  bytes: number;
  /** HTTP/1.1: the body's content-length (a CONNECT's body is the raw connection). */
  readonly expected: number | undefined;
}

export interface TunnelCallbacks {
  onEstablished(link: TunnelUpstream, response: ResponseHead): void;
  onFailed(failure: TunnelFailure): void;
}

/**
 * tcp_proxy's `tunneling_config`: a CONNECT (or POST) over the cluster's HTTP/1.1 or HTTP/2
 * pool. Success is any 2xx on HTTP/1.1 and exactly 200 on HTTP/2, with no end of stream; then
 * the stream's body is the tunnel. HTTP/1.1 tunnels cannot half-close: a FIN from the client
 * closes the upstream connection, as in Envoy.
 */
export class TunnelUpstream implements UpstreamLink {
  private request: UpstreamRequest | undefined;
  private events: UpstreamLinkEvents | undefined;
  private established = false;
  private ended = false;
  private upstreamEnded = false;
  private downstreamEnded = false;
  private flushedCallbacks: (() => void)[] = [];
  private refusal: Refusal | undefined;

  /** What the tunnel speaks; with ALPN choosing (`auto_config`), known once a connection is assigned. */
  private codec: UpstreamCodec | 'alpn';

  constructor(codec: UpstreamCodec | 'alpn', private readonly callbacks: TunnelCallbacks) {
    this.codec = codec;
  }

  start(pools: HttpPools, cluster: UpstreamCluster, host: Host, downstream: Connection, head: RequestHead): void {
    this.request = pools.request(cluster, host, downstream.worker, head, false, downstream.info, {
      onAssigned: (codec) => (this.codec = codec),
      onResponseHeaders: (response, endStream) => this.onResponse(response, endStream),
      onResponseData: (data, endStream) => {
        if (this.ended) return;
        if (this.refusal) {
          this.collectRefusal(this.refusal, data, endStream);
          return;
        }
        if (this.established) this.events?.onData(data, endStream);
        if (!endStream) return;
        // HTTP/2 END_STREAM is a half-close: the client may still send. HTTP/1.1 has no half-close.
        this.upstreamEnded = true;
        if (this.codec === 'http1' || this.downstreamEnded) this.finish(false, 'upstream ended the tunnel');
      },
      onResponseTrailers: () => {
        // Envoy: trailers from the upstream end the tunnel's downstream direction.
        if (this.established) this.events?.onData(Buffer.alloc(0), true);
      },
      onFailure: (failure) => {
        if (this.established) this.finish(true, failure.detail);
        else if (this.refusal) this.refuse(this.refusal);
        else {
          const connectFailure = failure.kind === 'connect' || failure.kind === 'overflow';
          this.callbacks.onFailed({ status: undefined, response: undefined, body: Buffer.alloc(0), detail: failure.detail, connectFailure, resetReason: failure.resetReason });
        }
      },
      onWritable: () => this.events?.onBelowWriteBufferLowWatermark(),
    });
  }

  /** Attaches the tcp_proxy session once the tunnel is up. */
  bind(events: UpstreamLinkEvents): void {
    this.events = events;
  }

  get flushing(): boolean {
    return false;
  }

  write(data: Buffer, endStream: boolean): void {
    if (!this.request || this.ended) return;
    if (endStream && this.codec === 'http1') {
      // No half-close over HTTP/1.1: the client's FIN closes the upstream connection.
      this.request.sendData(data, true);
      this.finish(false, 'downstream half-closed an HTTP/1.1 tunnel');
      return;
    }
    if (!this.request.sendData(data, endStream)) this.events?.onAboveWriteBufferHighWatermark();
    if (endStream) {
      this.downstreamEnded = true;
      if (this.upstreamEnded) this.finish(false, 'both directions of the tunnel ended');
    }
  }

  readDisable(disable: boolean): void {
    this.request?.readDisable(disable);
  }

  close(mode: 'flush' | 'now' | 'reset', reason: string): void {
    if (this.ended) return;
    if (mode === 'flush' && this.codec === 'http2') this.request?.sendData(Buffer.alloc(0), true);
    else this.request?.reset();
    this.finish(mode === 'reset', reason, false);
  }

  onFlushed(callback: () => void): void {
    this.flushedCallbacks.push(callback);
  }

  private onResponse(response: ResponseHead, endStream: boolean): void {
    const ok = this.codec === 'http2' ? response.status === 200 : response.status >= 200 && response.status < 300;
    if (!ok || endStream) {
      const length = Number(response.headers.get('content-length'));
      // HTTP/2 frames the body; an HTTP/1.1 refusal without content-length is taken as bodiless.
      const expected = this.codec === 'http2' ? undefined : Number.isInteger(length) ? length : 0;
      const refusal: Refusal = { response, chunks: [], bytes: 0, expected };
      if (endStream || expected === 0) this.refuse(refusal);
      else this.refusal = refusal;
      return;
    }
    this.established = true;
    this.callbacks.onEstablished(this, response);
  }

  /** Keeps the refusal's body (bounded) until it is complete, then reports the failure. */
  private collectRefusal(refusal: Refusal, data: Buffer, endStream: boolean): void {
    const room = MAX_REFUSAL_BODY - refusal.bytes;
    if (room > 0 && data.length > 0) {
      const kept = data.subarray(0, room);
      refusal.chunks.push(kept);
      refusal.bytes += kept.length;
    }
    const complete = refusal.expected !== undefined && refusal.bytes >= Math.min(refusal.expected, MAX_REFUSAL_BODY);
    if (endStream || complete || refusal.bytes >= MAX_REFUSAL_BODY) this.refuse(refusal);
  }

  private refuse(refusal: Refusal): void {
    this.refusal = undefined;
    this.ended = true;
    this.request?.reset();
    const { response } = refusal;
    this.callbacks.onFailed({
      status: response.status,
      response,
      body: Buffer.concat(refusal.chunks),
      detail: `tunnel_response:${response.status}`,
      connectFailure: false,
      resetReason: undefined,
    });
  }

  private finish(reset: boolean, reason: string, notify = true): void {
    if (this.ended) return;
    this.ended = true;
    if (notify) this.events?.onClosed(reset, reason);
    for (const callback of this.flushedCallbacks.splice(0)) callback();
  }
}
