import type { Span, TraceContextCarrier } from './tracer.js';
import { wallClockMs } from './wall-clock.js';

/**
 * What a tracer's spans share: a name the route's decorator may change, the sampled flag, and
 * one end, at which a sampled span is handed to its exporter (`record`).
 */
export abstract class RecordingSpan implements Span {
  private finished = false;

  constructor(
    protected name: string,
    protected sampled: boolean,
  ) {}

  abstract readonly traceId: string;
  abstract readonly spanId: string;
  abstract setTag(name: string, value: string): void;
  abstract log(timeMs: number, event: string): void;
  abstract injectContext(headers: TraceContextCarrier): void;
  abstract spawnChild(name: string, startTimeMs: number): Span;

  setOperation(name: string): void {
    this.name = name;
  }

  setSampled(sampled: boolean): void {
    this.sampled = sampled;
  }

  finishSpan(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.sampled) this.record(wallClockMs());
  }

  /** The sampled span ended at `endTimeMs` (wall clock): export it. */
  protected abstract record(endTimeMs: number): void;
}
