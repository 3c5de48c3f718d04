import type { ServerHttp2Session } from 'node:http2';
import type { Connection, ConnectionEvent, FilterStatus, ReadFilter, ReadFilterCallbacks } from '@nodevoy/core';
import { ConnectionDuplex } from '@nodevoy/http';
import { ActiveStream } from './active-stream.js';
import { serveHttp2, sniffCodec, type CodecOptions } from './codec/codecs.js';
import type { CodecError } from './codec/codec-error.js';
import type { DownstreamStream } from './codec/downstream-stream.js';
import { Http1ServerCodec } from './codec/http1/http1-server-codec.js';
import type { HcmRuntime } from './hcm-runtime.js';
import { LocalReplies } from './local-reply.js';
import { statusClass } from './stats.js';
import { DownstreamConnection } from './downstream-connection.js';
import { Http2InboundGuard } from './codec/http2-inbound-guard.js';

const EMPTY = Buffer.alloc(0);

/** Per connection manager config: the runtime and the codec settings. */
export interface HcmShared {
  readonly runtime: HcmRuntime;
  readonly codecType: 'AUTO' | 'HTTP1' | 'HTTP2';
  readonly codecOptions: CodecOptions;
  /** The connections open now, to close when the server drains. */
  readonly live: Set<HttpConnectionManagerFilter>;
}

/**
 * `envoy.filters.network.http_connection_manager` on one connection: hands the bytes to the
 * HTTP/1.1 or HTTP/2 codec (AUTO decides from the first bytes, as Envoy does).
 */
export class HttpConnectionManagerFilter implements ReadFilter {
  private connection!: Connection;
  private codec: 'http1' | 'http2' | undefined;
  private sniffed: Buffer[] = [];
  private http1: Http1ServerCodec | undefined;
  /** HTTP/2 runs node:http2 on the connection as a Duplex. */
  private http2Duplex: ConnectionDuplex | undefined;
  private http2Session: ServerHttp2Session | undefined;
  private http2Guard: Http2InboundGuard | undefined;
  private state!: DownstreamConnection;
  /** `max_connection_duration`'s clock. */
  private lifetime: NodeJS.Timeout | undefined;

  constructor(private readonly shared: HcmShared) {}

  initializeReadFilterCallbacks(callbacks: ReadFilterCallbacks): void {
    const { stats } = this.shared.runtime;
    const connection = (this.connection = callbacks.connection);
    connection.setConnectionMeters({ rxTotal: stats.downstream_cx_rx_bytes_total, txTotal: stats.downstream_cx_tx_bytes_total });
    stats.downstream_cx_total.inc();
    stats.downstream_cx_active.inc();
    const startMs = performance.now();
    connection.addConnectionCallbacks({
      onEvent: (event: ConnectionEvent) => {
        if (event === 'Connected') return;
        clearTimeout(this.lifetime);
        this.state.closed();
        this.shared.live.delete(this);
        stats.downstream_cx_active.dec();
        stats.downstream_cx_destroy.inc();
        if (event === 'RemoteClose') stats.downstream_cx_destroy_remote.inc();
        else stats.downstream_cx_destroy_local.inc();
        if (this.codec === 'http1') stats.downstream_cx_http1_active.dec();
        if (this.codec === 'http2') stats.downstream_cx_http2_active.dec();
        if (this.codec && connection.ssl) stats.downstream_cx_ssl_active.dec();
        stats.downstream_cx_length_ms.record(performance.now() - startMs);
      },
    });
  }

  onNewConnection(): FilterStatus {
    this.state = new DownstreamConnection(this.shared.runtime.connectionIdleTimeoutMs, () => this.onIdle());
    this.shared.live.add(this);
    const { maxConnectionDurationMs } = this.shared.runtime;
    if (maxConnectionDurationMs > 0) this.lifetime = setTimeout(() => this.onMaxConnectionDuration(), maxConnectionDurationMs);
    if (this.shared.codecType === 'HTTP1') this.startCodec('http1');
    else if (this.shared.codecType === 'HTTP2') this.startCodec('http2');
    return 'continue';
  }

  onData(data: Buffer, endStream: boolean): FilterStatus {
    if (this.codec) {
      this.feed(data, endStream);
      return 'stop';
    }
    // AUTO: ALPN decides when TLS negotiated HTTP/2, as in Envoy; else the first bytes do.
    if (this.connection.ssl?.alpn === 'h2') {
      this.startCodec('http2');
      this.feed(data, endStream);
      return 'stop';
    }
    this.sniffed.push(data);
    const seen = Buffer.concat(this.sniffed);
    const codec = endStream ? (sniffCodec(seen) ?? 'http1') : sniffCodec(seen);
    if (!codec) return 'stop';
    this.sniffed = [];
    this.startCodec(codec);
    this.feed(seen, endStream);
    return 'stop';
  }

  /** Bytes for the codec; HTTP/2 ones first through the inbound frame guard. */
  private feed(data: Buffer, endStream: boolean): void {
    if (this.http1) {
      this.http1.feed(data, endStream);
      return;
    }
    const duplex = this.http2Duplex as ConnectionDuplex;
    const pieces = (this.http2Guard as Http2InboundGuard).filter(data);
    if (pieces.length === 0) duplex.feed(EMPTY, endStream);
    for (let i = 0; i < pieces.length; i++) duplex.feed(pieces[i] as Buffer, endStream && i === pieces.length - 1);
  }

  /** A request from either codec: HTTP/1.x ones run one at a time, in order. */
  private onStream(stream: DownstreamStream): void {
    const start = () => new ActiveStream(this.shared.runtime, stream, this.connection, this.state).start();
    if (stream.protocol === 'HTTP/2') start();
    else this.state.whenPreviousDone(start);
  }

  /** Bytes that are not HTTP/1.x: Envoy's codec error answer, after the requests before them. */
  private onCodecError(error: CodecError): void {
    const codec = this.http1 as Http1ServerCodec;
    if (!this.state.firstProtocolError()) return;
    const { runtime } = this.shared;
    runtime.stats.downstream_cx_protocol_error.inc();
    const status = error.status;
    if (status === undefined) {
      // The client ended its side mid-request: as Envoy, the connection closes and its streams reset.
      codec.destroy();
      return;
    }
    if (this.state.readingRequest?.onCodecError({ status, details: error.details })) return;
    // The requests before the bad bytes are answered first: pipelined garbage must not cost the
    // client the response to a valid request (Envoy answers it, then the error).
    this.state.afterCurrent(() => {
      runtime.stats.downstream_rq_total.inc();
      runtime.stats[statusClass(status)].inc();
      const body = LocalReplies.codecError(status, error.details).body ?? '';
      codec.write(
        Buffer.from(
          `HTTP/1.1 ${status} ${body}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncontent-type: text/plain\r\n` +
            `date: ${new Date().toUTCString()}\r\nserver: ${runtime.serverName}\r\nconnection: close\r\n\r\n${body}`,
          'latin1',
        ),
      );
      // Closed once written, as Envoy closes after its codec errors: not left half-open for as
      // long as the client keeps its side.
      codec.closeWhenWritten();
    });
  }

  private startCodec(codec: 'http1' | 'http2'): void {
    const { stats } = this.shared.runtime;
    this.codec = codec;
    // Bytes only come after a TLS handshake, so the connection knows by now whether it is TLS.
    if (this.connection.ssl) {
      stats.downstream_cx_ssl_total.inc();
      stats.downstream_cx_ssl_active.inc();
    }
    if (codec === 'http1') {
      stats.downstream_cx_http1_total.inc();
      stats.downstream_cx_http1_active.inc();
      this.http1 = new Http1ServerCodec(this.connection, this.shared.codecOptions, {
        onStream: (stream) => this.onStream(stream),
        onCodecError: (error) => this.onCodecError(error),
      });
    } else {
      stats.downstream_cx_http2_total.inc();
      stats.downstream_cx_http2_active.inc();
      const duplex = (this.http2Duplex = new ConnectionDuplex());
      duplex.attach(this.connection, { fedByFilter: true });
      this.http2Guard = new Http2InboundGuard();
      this.http2Session = serveHttp2(duplex, this.shared.codecOptions, (stream) => this.onStream(stream));
    }
  }

  /** The server drains: once no request is open, the connection closes (pooled peers stop reusing it). */
  drain(): void {
    this.state.drainWhenIdle(() => {
      // Counted once per connection: a response may have started the drain sequence already.
      if (this.state.startDrainClose()) this.shared.runtime.stats.downstream_cx_drain_close.inc();
      this.closeGracefully('drain');
    });
  }

  /**
   * `max_connection_duration` reached: Envoy's drain sequence. An HTTP/1.1 response in flight
   * says `connection: close`, HTTP/2 says GOAWAY; the connection closes once no request is open.
   */
  private onMaxConnectionDuration(): void {
    this.shared.runtime.stats.downstream_cx_max_duration_reached.inc();
    this.http1?.closeAfterOpenExchanges();
    this.http2Session?.close();
    this.state.drainWhenIdle(() => this.closeGracefully('max connection duration'));
  }

  /** Idle with no open request: HTTP/2 says GOAWAY first, HTTP/1.1 just closes. */
  private onIdle(): void {
    this.shared.runtime.stats.downstream_cx_idle_timeout.inc();
    this.closeGracefully('idle timeout');
  }

  private closeGracefully(reason: string): void {
    if (this.http2Session) this.http2Session.close();
    else this.connection.close('FlushWrite', reason);
  }
}
