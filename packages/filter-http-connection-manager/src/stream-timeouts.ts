/** What a stream does when one of its clocks runs out. */
export interface StreamTimeoutHandlers {
  onIdle(): void;
  onRequestTimeout(): void;
  onMaxDuration(): void;
}

/**
 * A stream's clocks, as Envoy's ActiveStream keeps them: the idle timeout (no activity in
 * either direction; `stream_idle_timeout`, or the route's `idle_timeout` once routed), the
 * request timeout (the whole request must arrive; `request_timeout`) and the maximum duration
 * (`max_stream_duration`, or the route's once routed). 0 disables any of them.
 */
export class StreamTimeouts {
  private idleMs: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = performance.now();
  /** The stream ended: activity reported late (request bytes after the answer) arms nothing. */
  private cleared = false;
  private readonly onIdle: () => void;

  constructor(
    idleMs: number,
    requestMs: number,
    maxDurationMs: number,
    private readonly handlers: StreamTimeoutHandlers,
  ) {
    this.idleMs = idleMs;
    this.onIdle = () => handlers.onIdle();
    this.activity();
    if (requestMs > 0) this.requestTimer = setTimeout(() => handlers.onRequestTimeout(), requestMs);
    this.setMaxDuration(maxDurationMs);
  }

  /** The route's `max_stream_duration` replaces the connection manager's, counted from the stream's start. */
  setMaxDuration(ms: number): void {
    clearTimeout(this.durationTimer);
    this.durationTimer = undefined;
    if (ms <= 0 || this.cleared) return;
    const left = Math.max(0, ms - (performance.now() - this.startedAt));
    this.durationTimer = setTimeout(() => this.handlers.onMaxDuration(), left);
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
    clearTimeout(this.durationTimer);
    this.durationTimer = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
