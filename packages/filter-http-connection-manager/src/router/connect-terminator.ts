import type { Connection, Host, UpstreamCluster } from '@nodevoy/core';
import { HeaderMap } from '@nodevoy/http';
import type { DecoderFilterCallbacks } from '../http-filter.js';
import { LocalReplies } from '../local-reply.js';

const EMPTY = Buffer.alloc(0);

/**
 * Terminates a CONNECT (a route with `connect_config`): a raw TCP connection to the cluster's
 * host, a synthesized 200 once it is up, then bytes both ways. Half-close follows Envoy: the
 * client's end of stream is a FIN upstream; an upstream FIN ends the stream cleanly only if the
 * client had already ended its side, otherwise the stream is reset.
 */
export class ConnectTerminator {
  private upstream: Connection | undefined;
  private early: { data: Buffer; endStream: boolean }[] = [];
  private downstreamEnded = false;
  private done = false;

  constructor(
    private readonly callbacks: DecoderFilterCallbacks,
    private readonly cluster: UpstreamCluster,
    private readonly host: Host,
  ) {}

  start(): void {
    this.cluster.newTcpConnection(this.host, this.callbacks.connection.worker, {
      onPoolReady: (connection) => this.onConnected(connection),
      onPoolFailure: (_reason, detail) => {
        if (this.done) return;
        this.done = true;
        this.callbacks.sendLocalReply(LocalReplies.upstreamFailure('remote connection failure', `upstream_reset_before_response_started{connection_failure,${detail}}`));
      },
    });
  }

  /** Client bytes: to the upstream once connected (early data waits, as Envoy allows by default). */
  sendData(data: Buffer, endStream: boolean): void {
    if (endStream) this.downstreamEnded = true;
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
    if (this.done) return;
    this.done = true;
    if (this.downstreamEnded) this.callbacks.encodeData(EMPTY, true);
    else this.callbacks.resetStream();
  }

  private onUpstreamClosed(): void {
    if (this.done) return;
    this.onUpstreamFin();
  }
}
