import type { ServerContext } from '../server/context.js';

export interface SpanBatcherOptions<S> {
  /** Runtime keys of Envoy's tracers: `tracing.<tracer>.min_flush_spans` and `.flush_interval_ms`. */
  readonly runtimePrefix: string;
  /** Sends one batch; the batcher has let go of it. */
  send(spans: S[]): void;
  /** The timer flushed (Envoy's `timer_flushed` counter). */
  onTimerFlush(): void;
}

/** Envoy's tracers' defaults: a report once five spans wait, and every five seconds. */
const DEFAULT_MIN_FLUSH_SPANS = 5;
const DEFAULT_FLUSH_INTERVAL_MS = 5000;

/**
 * Finished spans waiting for export, as Envoy's tracers report them: a batch goes once
 * `min_flush_spans` are waiting, and whatever waits goes every `flush_interval_ms` (both runtime
 * keys). The timer does not keep the process alive, and stops at shutdown.
 */
export class SpanBatcher<S> {
  private pending: S[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: ServerContext,
    private readonly options: SpanBatcherOptions<S>,
  ) {}

  add(span: S): void {
    this.pending.push(span);
    this.timer ??= this.startTimer();
    if (this.pending.length >= this.server.runtime.getInteger(`${this.options.runtimePrefix}.min_flush_spans`, DEFAULT_MIN_FLUSH_SPANS)) this.flush();
  }

  private startTimer(): NodeJS.Timeout {
    const interval = this.server.runtime.getInteger(`${this.options.runtimePrefix}.flush_interval_ms`, DEFAULT_FLUSH_INTERVAL_MS);
    const timer = setInterval(() => {
      this.options.onTimerFlush();
      this.flush();
    }, Math.max(1, interval));
    timer.unref();
    this.server.lifecycle.onShutdown(() => clearInterval(timer));
    return timer;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.options.send(batch);
  }
}
