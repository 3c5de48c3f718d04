import type { CodecIssue } from './codec/downstream-stream.js';

/**
 * What a connection manager keeps per downstream connection: how many requests it has carried
 * (`max_requests_per_connection`), its idle clock (`common_http_protocol_options
 * .idle_timeout`, default 1 h; it runs only while no request is open) and, on HTTP/1.x, the
 * pipelined requests waiting for the one in progress.
 */
export class DownstreamConnection {
  /**
   * The HTTP/1.x request whose body is being read: a codec error in that body (bad chunk
   * syntax) is its own, answered on it (Envoy's handleCodecError), not after it.
   */
  readingRequest: { onCodecError(issue: CodecIssue): boolean } | undefined;
  private requests = 0;
  private protocolErrorSeen = false;
  private active = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pipelined: Array<() => void> = [];
  private isClosed = false;
  private drainClosing = false;
  /** Set once the server drains: called when no request is left (at once if none is open). */
  private onDrained: (() => void) | undefined;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly onIdle: () => void,
  ) {
    this.arm();
  }

  /**
   * Called on each protocol error; true for the first. Envoy stops parsing at the first: what
   * follows on the connection gets no second answer before it closes.
   */
  firstProtocolError(): boolean {
    if (this.protocolErrorSeen) return false;
    this.protocolErrorSeen = true;
    return true;
  }

  /** A request began; returns its ordinal on the connection (1 for the first). */
  streamStarted(): number {
    this.active++;
    this.disarm();
    return ++this.requests;
  }

  /**
   * Runs an HTTP/1.x request once the ones before it on the connection are done: as Envoy, a
   * pipelined request is not processed (nor sent upstream) while an earlier one is in progress.
   */
  whenPreviousDone(start: () => void): void {
    if (this.active === 0 && this.pipelined.length === 0) start();
    else this.pipelined.push(start);
  }

  /**
   * Runs `then` once the requests in progress (and those pipelined before it) are done: what
   * follows them on the connection (a codec error's answer) must not overtake their responses.
   */
  afterCurrent(then: () => void): void {
    this.whenPreviousDone(() => {
      // Not a request: it takes no place in the count, and nothing runs after it.
      this.active++;
      then();
    });
  }

  streamEnded(): void {
    if (--this.active > 0) return;
    const next = this.pipelined.shift();
    if (next) queueMicrotask(() => this.startPipelined(next));
    else if (this.onDrained) this.onDrained();
    else this.arm();
  }

  /**
   * The connection's drain sequence starts (a response asked for it, or the server drains):
   * true the first time only, so it is counted once per connection.
   */
  startDrainClose(): boolean {
    if (this.drainClosing) return false;
    this.drainClosing = true;
    return true;
  }

  get isDrainClosing(): boolean {
    return this.drainClosing;
  }

  /** The server drains: close the connection once it carries no request (Envoy's drain close). */
  drainWhenIdle(close: () => void): void {
    if (this.isClosed || this.onDrained) return;
    this.onDrained = close;
    if (this.active === 0 && this.pipelined.length === 0) close();
  }

  closed(): void {
    this.isClosed = true;
    this.pipelined.length = 0;
    this.disarm();
  }

  private startPipelined(start: () => void): void {
    if (!this.isClosed) start();
  }

  private arm(): void {
    // A stream that ends after its connection closed (its reset) leaves no clock running.
    if (this.idleTimeoutMs > 0 && !this.isClosed) this.timer = setTimeout(this.onIdle, this.idleTimeoutMs);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
