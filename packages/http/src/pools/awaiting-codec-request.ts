import type { UpstreamCodec } from '../protocol-options.js';
import type { UpstreamFailure, UpstreamRequest, UpstreamRequestCallbacks } from './types.js';

/** Request body held while the codec is not known yet, before the router is asked to wait. */
const HELD_BODY_LIMIT = 64 * 1024;

/**
 * A request to a cluster whose connections let ALPN choose the codec (`auto_config`), waiting
 * for the first connection to a host to finish its handshake. It holds what the router sends
 * meanwhile (body, flow control, a reset) and then starts the real request with the codec the
 * handshake chose.
 */
export class AwaitingCodecRequest implements UpstreamRequest {
  private request: UpstreamRequest | undefined;
  private readonly held: { data: Buffer; endStream: boolean }[] = [];
  private heldBytes = 0;
  private routerWaiting = false;
  private readDisabled = false;
  private cancelled = false;

  constructor(
    private readonly callbacks: UpstreamRequestCallbacks,
    private readonly start: (codec: UpstreamCodec) => UpstreamRequest,
  ) {}

  /** Still wanted (not reset while waiting). */
  get waiting(): boolean {
    return !this.cancelled && !this.request;
  }

  proceed(codec: UpstreamCodec): void {
    if (this.cancelled) return;
    const request = this.start(codec);
    this.request = request;
    if (this.readDisabled) request.readDisable(true);
    let writable = true;
    for (const { data, endStream } of this.held.splice(0)) writable = request.sendData(data, endStream);
    // Told to wait earlier: writable now, unless the real request says otherwise (it will call back).
    if (this.routerWaiting && writable) this.callbacks.onWritable();
  }

  fail(failure: UpstreamFailure): void {
    if (!this.cancelled) this.callbacks.onFailure(failure);
  }

  sendData(data: Buffer, endStream: boolean): boolean {
    if (this.request) return this.request.sendData(data, endStream);
    this.held.push({ data, endStream });
    this.heldBytes += data.length;
    if (this.heldBytes < HELD_BODY_LIMIT) return true;
    this.routerWaiting = true;
    return false;
  }

  readDisable(disable: boolean): void {
    if (this.request) this.request.readDisable(disable);
    else this.readDisabled = disable;
  }

  reset(): void {
    if (this.request) this.request.reset();
    else this.cancelled = true;
  }
}
