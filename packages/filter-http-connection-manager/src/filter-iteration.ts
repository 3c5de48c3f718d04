import type { HeaderMap } from '@nodevoy/http';
import type { HttpFilter, HttpFilterResult, HttpFilterStatus } from './http-filter.js';

/** What travels through a filter chain, in order: headers, then data, then maybe trailers. */
export type StreamItem =
  | { readonly kind: 'headers'; readonly headers: HeaderMap; readonly endStream: boolean }
  | { readonly kind: 'data'; readonly data: Buffer; readonly endStream: boolean }
  | { readonly kind: 'trailers'; readonly trailers: HeaderMap };

/** What one direction of a stream provides its filter iteration. */
export interface IterationEnds {
  /** An item that passed every filter (encoding: on to the client). */
  deliver(item: StreamItem): void;
  /** A filter threw, or the promise it returned was rejected. */
  onFilterError(callback: string, error: unknown): void;
  /** The stream is over: nothing more is iterated. */
  isDone(): boolean;
  /** Items held for stopped filters crossed the buffer limit (true) or fell back under half of it. */
  onHeldAboveLimit(above: boolean): void;
}

export type Direction = 'decode' | 'encode';

const CALLBACKS = {
  decode: { headers: 'decodeHeaders', data: 'decodeData', trailers: 'decodeTrailers' },
  encode: { headers: 'encodeHeaders', data: 'encodeData', trailers: 'encodeTrailers' },
} as const;

/** Why items may not enter a filter now: the one before stopped its headers, or it is awaiting a promise. */
type Block = 'stopped' | 'awaiting' | undefined;

/**
 * One direction of an HTTP filter chain (Envoy's FilterManager iteration): decoding runs the
 * filters in config order, encoding in reverse. Every call into a filter is guarded. `stop` from
 * a headers callback holds the items for the filters after it until `resume()` (the filter
 * itself still sees the body, as in Envoy); `stop` from a data or trailers callback means the
 * filter took that item. A callback may also return a promise: what comes behind waits at that
 * filter until it settles (then `continue` or `stop` as above; a rejection is a filter error).
 * Each filter sees the items in order. Held bytes count against the buffer limit, which
 * applies backpressure.
 */
export class FilterIteration {
  /** Per position: the items waiting to enter that filter, oldest first. */
  private readonly inboxes: StreamItem[][] = [];
  private readonly blocks: Block[] = [];
  private heldBytes = 0;
  private aboveLimit = false;

  constructor(
    private readonly direction: Direction,
    private readonly filters: readonly HttpFilter[],
    private readonly ends: IterationEnds,
    private readonly limitBytes: number,
  ) {}

  push(item: StreamItem): void {
    this.offer(0, item);
  }

  /** `continueDecoding()` / `continueEncoding()`: the headers a filter stopped go on. */
  resume(): void {
    const position = this.blocks.indexOf('stopped');
    if (position >= 0) this.unblock(position);
  }

  /** Data `from` made goes on to the filters after it (behind what already waits there). */
  inject(from: HttpFilter, item: StreamItem): void {
    const index = this.filters.indexOf(from);
    if (index < 0) return;
    this.offer((this.direction === 'decode' ? index : this.filters.length - 1 - index) + 1, item);
  }

  /** Drops whatever is held (the stream ended another way). */
  abandon(): void {
    this.inboxes.length = 0;
    this.blocks.length = 0;
    this.countHeld(-this.heldBytes);
  }

  /** An item reaches `position`: in it goes, unless it must wait behind others there. */
  private offer(position: number, item: StreamItem): void {
    if (this.ends.isDone()) return;
    const inbox = this.inboxes[position];
    if (this.blocks[position] !== undefined || (inbox !== undefined && inbox.length > 0)) {
      this.inboxAt(position).push(item);
      if (item.kind === 'data') this.countHeld(item.data.length);
      return;
    }
    this.enter(position, item);
  }

  /** Runs `item` through the filter at `position` and on, as far as it goes. */
  private enter(position: number, item: StreamItem): void {
    if (position === this.filters.length) {
      this.ends.deliver(item);
      return;
    }
    const result = this.call(position, item);
    if (this.ends.isDone()) return;
    if (result === undefined || result === 'continue') this.offer(position + 1, item);
    else if (result === 'stop') this.stopped(position, item);
    else if (typeof (result as PromiseLike<unknown>).then === 'function') this.awaitFilter(position, item, result);
    else this.fail(CALLBACKS[this.direction][item.kind], new TypeError(`returned ${String(result)}, not 'continue', 'stop' or a promise of one`));
  }

  /** Headers wait for the filters after this one; data or trailers were taken by it. */
  private stopped(position: number, item: StreamItem): void {
    if (item.kind !== 'headers') return;
    this.blocks[position + 1] = 'stopped';
    this.inboxAt(position + 1).unshift(item);
  }

  private awaitFilter(position: number, item: StreamItem, pending: PromiseLike<HttpFilterStatus>): void {
    this.blocks[position] = 'awaiting';
    pending.then(
      (status) => {
        if (this.ends.isDone()) return;
        this.blocks[position] = undefined;
        if (status === 'stop') this.stopped(position, item);
        else this.offer(position + 1, item);
        this.unblock(position);
      },
      (err: unknown) => this.fail(CALLBACKS[this.direction][item.kind], err),
    );
  }

  /** What waited at `position` goes in, oldest first, until the filter blocks again. */
  private unblock(position: number): void {
    this.blocks[position] = undefined;
    const inbox = this.inboxAt(position);
    while (inbox.length > 0 && this.blocks[position] === undefined && !this.ends.isDone()) {
      const item = inbox.shift() as StreamItem;
      if (item.kind === 'data') this.countHeld(-item.data.length);
      this.enter(position, item);
    }
  }

  /** Calls the filter at `position` for `item`; undefined when it has no such callback. */
  private call(position: number, item: StreamItem): HttpFilterResult | undefined {
    const filter = this.filterAt(position);
    const name = CALLBACKS[this.direction][item.kind];
    try {
      switch (item.kind) {
        case 'headers':
          return filter[name as 'decodeHeaders' | 'encodeHeaders']?.(item.headers, item.endStream);
        case 'data':
          return filter[name as 'decodeData' | 'encodeData']?.(item.data, item.endStream);
        case 'trailers':
          return filter[name as 'decodeTrailers' | 'encodeTrailers']?.(item.trailers);
      }
    } catch (err) {
      this.fail(name, err);
      return 'stop';
    }
  }

  private fail(callback: string, err: unknown): void {
    if (this.ends.isDone()) return;
    this.ends.onFilterError(callback, err);
  }

  private countHeld(delta: number): void {
    this.heldBytes += delta;
    if (this.limitBytes <= 0) return;
    if (!this.aboveLimit && this.heldBytes > this.limitBytes) {
      this.aboveLimit = true;
      this.ends.onHeldAboveLimit(true);
    } else if (this.aboveLimit && this.heldBytes <= this.limitBytes / 2) {
      this.aboveLimit = false;
      this.ends.onHeldAboveLimit(false);
    }
  }

  /** The chain is built after this iteration exists: inboxes come as positions are reached. */
  private inboxAt(position: number): StreamItem[] {
    return (this.inboxes[position] ??= []);
  }

  private filterAt(position: number): HttpFilter {
    const index = this.direction === 'decode' ? position : this.filters.length - 1 - position;
    return this.filters[index] as HttpFilter;
  }
}
