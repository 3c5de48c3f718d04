import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '@nodevoy/core';
import type { GrpcTarget } from './grpc-target.js';
import { grpcJs } from './lazy-modules.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

/** How long a connect attempt waits for the channel before it counts as a failure. */
const CONNECT_TIMEOUT_MS = 5_000;

/** What a stream needs of the mux that owns it. */
export interface XdsStreamOwner {
  readonly isStopped: boolean;
  readonly logger: Logger;
  target(): GrpcTarget;
  initialMetadata(): grpc.Metadata;
  /** A stream opened or closed: the connected state may have changed. */
  connectionChanged(): void;
  /** The stream is open: every type it carries is asked for again. */
  onOpen(stream: XdsStream): void;
  onMessage(stream: XdsStream, bytes: Buffer): void;
  /** The stream is down; it opens again after a back-off. */
  onLost(stream: XdsStream): void;
}

/** One gRPC stream to a management server, opened again after a jittered back-off whenever it is lost. */
export class XdsStream {
  private client: grpc.Client | undefined;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  private sentFirst = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new ReconnectBackoff();

  constructor(
    private readonly owner: XdsStreamOwner,
    readonly method: string,
  ) {}

  get isConnected(): boolean {
    return this.call !== undefined;
  }

  /** Opens the stream if it is not open or on its way. */
  start(): void {
    if (this.client || this.retryTimer || this.owner.isStopped) return;
    const target = this.owner.target();
    if ('problem' in target) {
      this.failed(target.problem);
      return;
    }
    const { Client, credentials } = grpcJs();
    const client = new Client(target.target, credentials.createInsecure(), { 'grpc.default_authority': target.authority });
    this.client = client;
    client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (err) => {
      if (this.client !== client) return;
      if (err) {
        this.failed(`cannot connect to ${target.target}: ${err.message}`);
        return;
      }
      this.open(client);
    });
  }

  /** True for the first message written on this stream (the one that carries the node). */
  isFirstMessage(): boolean {
    return !this.sentFirst;
  }

  /** Writes a request if the stream is open; a closed stream asks again when it opens. */
  write(bytes: Buffer): void {
    if (!this.call) return;
    this.sentFirst = true;
    this.call.write(bytes);
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.close();
  }

  private open(client: grpc.Client): void {
    const call = client.makeBidiStreamRequest(this.method, (b: Buffer) => b, (b: Buffer) => b, this.owner.initialMetadata());
    this.call = call;
    this.sentFirst = false;
    this.owner.connectionChanged();
    this.owner.logger.info(`xDS: stream ${this.method} established`);
    call.on('data', (bytes: Buffer) => {
      this.backoff.reset();
      this.owner.onMessage(this, bytes);
    });
    call.on('error', (err: grpc.ServiceError) => this.lost(call, `${grpcJs().status[err.code] ?? err.code}: ${err.details || err.message}`));
    call.on('end', () => this.lost(call, 'closed by the management server'));
    this.owner.onOpen(this);
  }

  private lost(call: grpc.ClientDuplexStream<Buffer, Buffer>, reason: string): void {
    if (this.call !== call) return;
    this.failed(`stream ${this.method} lost: ${reason}`);
  }

  private failed(reason: string): void {
    this.close();
    if (this.owner.isStopped) return;
    this.owner.logger.warn(`xDS: ${reason}`);
    this.owner.onLost(this);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, this.backoff.next());
    this.retryTimer.unref();
  }

  private close(): void {
    const { call, client } = this;
    this.call = undefined;
    this.client = undefined;
    if (call) {
      this.owner.connectionChanged();
      call.removeAllListeners('data');
      call.on('error', () => {}); // cancelling reports CANCELLED: already handled
      call.cancel();
    }
    client?.close();
  }
}
