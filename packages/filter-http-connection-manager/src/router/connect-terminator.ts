import type { Connection, Host, UpstreamCluster } from '@nodevoy/core';
import { HeaderMap } from '@nodevoy/http';
import type { DecoderFilterCallbacks } from '../http-filter.js';
import { LocalReplies } from '../local-reply.js';

const EMPTY = Buffer.alloc(0);

/**
 * Terminates a CONNECT (a route with `connect_config`): a raw TCP connection to the cluster's
 * host, a synthesized 200 once it is up, then bytes both ways. The client's end of stream is a
 * FIN upstream. An upstream FIN before the client ended its side is, as in Envoy, a reset on an
 * HTTP/1.1 tunnel; on an HTTP/2 tunnel nodevoy passes it on as END_STREAM and keeps carrying
 * the client's bytes up (Envoy resets there too: PR #47378).
 */
export class ConnectTerminator {
  private upstream: Connection | undefined;
  private early: { data: Buffer; endStream: boolean }[] = [];
  private downstreamEnded = false;
  private upstreamEnded = false;
  private done = false;

  constructor(
    private readonly callbacks: DecoderFilterCallbacks,
    private readonly cluster: UpstreamCluster,
    private readonly host: Host,
  ) {}

  start(): void {
    this.cluster.newTcpConnection(this.host, this.callbacks.connection.worker, {
      onPoolReady: (connection) => {
        this.cluster.outlier.putResult(this.host, 'LocalOriginConnectSuccess');
        this.onConnected(connection);
      },
      onPoolFailure: (reason, detail) => {
        if (reason !== 'Overflow') this.cluster.outlier.putResult(this.host, 'LocalOriginConnectFailed');
        if (this.done) return;
        this.done = true;
        this.callbacks.sendLocalReply(LocalReplies.upstreamFailure('remote connection failure', `upstream_reset_before_response_started{connection_failure,${detail}}`));
      },
    }, { requester: this.callbacks.requestInfo });
  }

  /** Client bytes: to the upstream once connected (early data waits, as Envoy allows by default). */
  sendData(data: Buffer, endStream: boolean): void {
    if (endStream) this.downstreamEnded = true;
    if (endStream && this.upstreamEnded) this.done = true;
    if (!this.upstream) {
      this.early.push({ data, endStream });
      return;
    }
    this.upstream.write(data, endStream);
  }

  abandon(): void {
    if (this.done) return;
    this.done = true;
    // The client reset or left: the upstream gets a FIN after what it was sent.
    this.upstream?.close('FlushWrite', 'downstream reset');
  }

  private onConnected(connection: Connection): void {
    if (this.done) {
      connection.close('NoFlush', 'downstream gone');
      return;
    }
    this.upstream = connection;
    connection.enableHalfClose(true);
    connection.addConnectionCallbacks({
      onEvent: (event) => {
        if (event !== 'Connected') this.onUpstreamClosed();
      },
      onAboveWriteBufferHighWatermark: () => this.callbacks.readDisable(true),
      onBelowWriteBufferLowWatermark: () => this.callbacks.readDisable(false),
    });
    connection.addReadFilter({
      onData: (data, endStream) => {
        this.onUpstreamData(data, endStream);
        return 'stop';
      },
    });
    connection.initializeReadFilters();
    const headers = new HeaderMap();
    headers.add(':status', '200');
    this.callbacks.encodeHeaders(headers, false);
    for (const { data, endStream } of this.early.splice(0)) connection.write(data, endStream);
  }

  private onUpstreamData(data: Buffer, endStream: boolean): void {
    if (this.done) return;
    if (data.length > 0 && !this.callbacks.encodeData(data, false)) {
      this.upstream?.readDisable(true);
      this.callbacks.onDownstreamWritable(() => this.upstream?.readDisable(false));
    }
    if (endStream) this.onUpstreamFin();
  }

  private onUpstreamFin(): void {
    if (this.done || this.upstreamEnded) return;
    this.upstreamEnded = true;
    if (this.downstreamEnded) {
      this.done = true;
      this.callbacks.encodeData(EMPTY, true);
    } else if (this.callbacks.tunnelHalfCloses) {
      this.callbacks.encodeData(EMPTY, true);
    } else {
      this.resetTunnel();
    }
  }

  /** The stream is reset, and the upstream connection goes with it, as Envoy's TCP upstream closes. */
  private resetTunnel(): void {
    this.done = true;
    this.upstream?.close('NoFlush', 'tunnel reset');
    this.callbacks.resetStream();
  }

  /** The upstream connection is gone: after a half-close, bytes the client still sends have nowhere to go. */
  private onUpstreamClosed(): void {
    if (this.done) return;
    if (!this.upstreamEnded) this.onUpstreamFin();
    if (this.done) return;
    this.resetTunnel();
  }
}
