/**
 * A stream's two clocks, as Envoy's ActiveStream keeps them: the idle timeout (no activity in
 * either direction; `stream_idle_timeout`, or the route's `idle_timeout` once routed) and the
 * request timeout (the whole request must arrive; `request_timeout`). 0 disables either.
 */
export class StreamTimeouts {
  private idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;

  constructor(
    idleMs: number,
    requestMs: number,
    private readonly onIdle: () => void,
    onRequestTimeout: () => void,
  ) {
    this.idleMs = idleMs;
    this.activity();
    if (requestMs > 0) this.requestTimer = setTimeout(onRequestTimeout, requestMs);
  }

  /** The route's `idle_timeout` replaces the connection manager's for the rest of the stream. */
  setIdleTimeout(ms: number): void {
    this.idleMs = ms;
    this.activity();
  }

  /** Bytes or headers moved: the idle clock starts over. */
  activity(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = this.idleMs > 0 ? setTimeout(this.onIdle, this.idleMs) : undefined;
  }

  requestComplete(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
  }

  clear(): void {
    this.requestComplete();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
