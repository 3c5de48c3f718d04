/**
 * Buffers queued by reference: enqueuing never copies, and taking a prefix of a chunk is a
 * `subarray`. This is what lets bytes cross an internal hop without a copy.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Puts a chunk back in front (what a listener filter peeked at). */
  unshift(chunk: Buffer): void {
    if (this.head > 0) this.chunks[--this.head] = chunk;
    else this.chunks.unshift(chunk);
    this.length += chunk.length;
  }

  /** Removes and returns the first chunk. */
  shift(): Buffer | undefined {
    if (this.head >= this.chunks.length) return undefined;
    const chunk = this.chunks[this.head] as Buffer;
    this.chunks[this.head++] = EMPTY;
    this.length -= chunk.length;
    this.compact();
    return chunk;
  }

  /** Removes and returns up to `max` bytes from the front, splitting a chunk without copying. */
  take(max: number): Buffer | undefined {
    const first = this.chunks[this.head];
    if (first === undefined) return undefined;
    if (first.length <= max) return this.shift();
    this.chunks[this.head] = first.subarray(max);
    this.length -= max;
    return first.subarray(0, max);
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.length = 0;
  }

  private compact(): void {
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
