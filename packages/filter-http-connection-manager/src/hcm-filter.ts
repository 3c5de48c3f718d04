import type { Server } from 'node:http';
import type { ServerHttp2Session } from 'node:http2';
import type { Connection, ConnectionEvent, FilterStatus, ReadFilter, ReadFilterCallbacks } from '@nodevoy/core';
import { ConnectionDuplex } from '@nodevoy/http';
import { ActiveStream } from './active-stream.js';
import { serveHttp2, sniffCodec, type CodecError, type CodecHandlers, type CodecOptions } from './codec/codecs.js';
import type { HcmRuntime } from './hcm-runtime.js';
import { LocalReplies } from './local-reply.js';
import { statusClass } from './stats.js';
import { DownstreamConnection } from './downstream-connection.js';
import { Http2InboundGuard } from './codec/http2-inbound-guard.js';

const EMPTY = Buffer.alloc(0);

/** Per connection manager config: the runtime, the codec settings and the shared HTTP/1.1 server. */
export interface HcmShared {
  readonly runtime: HcmRuntime;
  readonly codecType: 'AUTO' | 'HTTP1' | 'HTTP2';
  readonly codecOptions: CodecOptions;
  readonly http1: Server;
  /** The per-connection state of every connection this config serves, by its duplex. */
  readonly connections: WeakMap<ConnectionDuplex, DownstreamConnection>;
  /** The connections open now, to close when the server drains. */
  readonly live: Set<HttpConnectionManagerFilter>;
}

/** Stream handlers shared by every connection of a config: a new ActiveStream per request. */
export function codecHandlers(runtime: HcmRuntime, connections: WeakMap<ConnectionDuplex, DownstreamConnection>): CodecHandlers {
  return {
    onStream(stream, duplex) {
      const downstream = connections.get(duplex);
      const connection = duplex.connection;
      if (!connection || !downstream) return;
      const start = () => new ActiveStream(runtime, stream, connection, downstream).start();
      if (stream.protocol === 'HTTP/2') start();
      else downstream.whenPreviousDone(start);
    },
    onCodecError(error: CodecError, duplex: ConnectionDuplex) {
      const downstream = connections.get(duplex);
      if (downstream && !downstream.firstProtocolError()) return;
      runtime.stats.downstream_cx_protocol_error.inc();
      const status = error.status;
      if (status === undefined) {
        // The client ended its side mid-request: as Envoy, the connection closes and its streams reset.
        duplex.destroy();
        return;
      }
      if (downstream?.readingRequest?.onCodecError({ status, details: error.details })) return;
      // The requests before the bad bytes are answered first: pipelined garbage must not cost the
      // client the response to a valid request (Envoy answers it, then the error).
      const reply = () => {
        runtime.stats.downstream_rq_total.inc();
        runtime.stats[statusClass(status)].inc();
        const body = LocalReplies.codecError(status, error.details).body ?? '';
        duplex.write(
          `HTTP/1.1 ${status} ${body}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncontent-type: text/plain\r\n` +
            `date: ${new Date().toUTCString()}\r\nserver: ${runtime.serverName}\r\nconnection: close\r\n\r\n${body}`,
        );
        // Closed once written, as node:http closes a `connection: close` exchange (and Envoy its
        // codec errors): not left half-open for as long as the client keeps its side.
        duplex.destroySoon();
      };
      if (downstream) downstream.afterCurrent(reply);
      else reply();
    },
  };
}

/**
 * `envoy.filters.network.http_connection_manager` on one connection: hands the bytes to the
 * HTTP/1.1 or HTTP/2 codec (AUTO decides from the first bytes, as Envoy does).
 */
export class HttpConnectionManagerFilter implements ReadFilter {
  private connection!: Connection;
  private readonly duplex = new ConnectionDuplex();
  private codec: 'http1' | 'http2' | undefined;
  private sniffed: Buffer[] = [];
  private http2Session: ServerHttp2Session | undefined;
  private http2Guard: Http2InboundGuard | undefined;
  private state: DownstreamConnection | undefined;

  constructor(
    private readonly shared: HcmShared,
    private readonly handlers: CodecHandlers,
  ) {}

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
        this.state?.closed();
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
    this.duplex.attach(this.connection, { fedByFilter: true });
    this.state = new DownstreamConnection(this.shared.runtime.connectionIdleTimeoutMs, () => this.onIdle());
    this.shared.connections.set(this.duplex, this.state);
    this.shared.live.add(this);
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
    if (!this.http2Guard) {
      this.duplex.feed(data, endStream);
      return;
    }
    const pieces = this.http2Guard.filter(data);
    if (pieces.length === 0) this.duplex.feed(EMPTY, endStream);
    for (let i = 0; i < pieces.length; i++) this.duplex.feed(pieces[i] as Buffer, endStream && i === pieces.length - 1);
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
      this.shared.http1.emit('connection', this.duplex);
    } else {
      stats.downstream_cx_http2_total.inc();
      stats.downstream_cx_http2_active.inc();
      this.http2Guard = new Http2InboundGuard();
      this.http2Session = serveHttp2(this.duplex, this.shared.codecOptions, this.handlers);
    }
  }

  /** The server drains: once no request is open, the connection closes (pooled peers stop reusing it). */
  drain(): void {
    this.state?.drainWhenIdle(() => {
      this.shared.runtime.stats.downstream_cx_drain_close.inc();
      this.closeGracefully('drain');
    });
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
