import type { Transform } from 'node:stream';
import type { ChunkCodec } from './compression-library.js';

interface Pending {
  resolve(output: Buffer): void;
  reject(error: Error): void;
}

export interface ZlibChunkCodecOptions {
  /**
   * A decompressor's guard against compression bombs (Envoy's `max_inflate_ratio`): once a
   * chunk's output passes this many times its input, the output ends there (what came so far is
   * that chunk's output) and `onInflateRatioExceeded` is told. As in Envoy, the ratio is checked
   * as each full output piece of `outputChunkSize` (the stream's `chunkSize`) arrives.
   */
  readonly maxInflateRatio?: number;
  readonly outputChunkSize?: number;
  readonly onInflateRatioExceeded?: () => void;
}

/** The stream stopped because a chunk inflated past `maxInflateRatio`. */
export class InflateRatioExceeded extends Error {
  constructor() {
    super('the output passed max_inflate_ratio times the input');
    this.name = 'InflateRatioExceeded';
  }
}

/**
 * A `node:zlib` stream (gzip, brotli, either way) driven a chunk at a time: each chunk is
 * written and flushed with `flushKind`, and what the stream emitted by the flush's callback is
 * that chunk's output. The stream's errors are owned here and become the pending chunk's
 * rejection.
 */
export class ZlibChunkCodec implements ChunkCodec {
  private output: Buffer[] = [];
  private outputLength = 0;
  private inputLength = 0;
  private pending: Pending | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly stream: Transform & { flush(kind: number, callback: () => void): void },
    private readonly flushKind: number,
    private readonly options: ZlibChunkCodecOptions = {},
  ) {
    stream.on('data', (chunk: Buffer) => this.onOutput(chunk));
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('end', () => this.settle());
  }

  process(data: Buffer, finish: boolean): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('a chunk is already being processed'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.inputLength = data.length;
      if (finish) {
        this.stream.end(data);
        return;
      }
      if (data.length > 0) this.stream.write(data);
      this.stream.flush(this.flushKind, () => this.settle());
    });
  }

  close(): void {
    this.stream.destroy();
  }

  private onOutput(chunk: Buffer): void {
    if (this.failure) return;
    this.output.push(chunk);
    this.outputLength += chunk.length;
    const { maxInflateRatio: ratio, outputChunkSize } = this.options;
    if (ratio !== undefined && chunk.length === outputChunkSize && this.outputLength > ratio * this.inputLength) {
      // As Envoy: what inflated so far goes out, and nothing after it.
      this.settle();
      this.failure = new InflateRatioExceeded();
      this.stream.destroy();
      this.options.onInflateRatioExceeded?.();
    }
  }

  private settle(): void {
    const pending = this.pending;
    if (!pending || this.failure) return;
    this.pending = undefined;
    const output = this.output.length === 1 ? (this.output[0] as Buffer) : Buffer.concat(this.output);
    this.output = [];
    this.outputLength = 0;
    pending.resolve(output);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
  }
}
