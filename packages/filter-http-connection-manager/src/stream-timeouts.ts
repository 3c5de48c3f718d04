/**
 * A stream's two clocks, as Envoy's ActiveStream keeps them: the idle timeout (no activity in
 * either direction; `stream_idle_timeout`, or the route's `idle_timeout` once routed) and the
 * request timeout (the whole request must arrive; `request_timeout`). 0 disables either.
 */
export class StreamTimeouts {
  private idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  /** The stream ended: activity reported late (request bytes after the answer) arms nothing. */
  private cleared = false;

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
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.activity();
  }

  /** Bytes or headers moved: the idle clock starts over (a refresh, cheap on the data path). */
  activity(): void {
    if (this.cleared || this.idleMs <= 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(this.onIdle, this.idleMs);
  }

  requestComplete(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
  }

  clear(): void {
    this.cleared = true;
    this.requestComplete();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
