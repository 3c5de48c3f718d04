import type { Transform } from 'node:stream';
import type { ChunkCodec } from './compression-library.js';

interface Pending {
  resolve(output: Buffer): void;
  reject(error: Error): void;
}

/**
 * A `node:zlib` stream (gzip, brotli, either way) driven a chunk at a time: each chunk is
 * written and flushed with `flushKind`, and what the stream emitted by the flush's callback is
 * that chunk's output. The stream's errors are owned here and become the pending chunk's
 * rejection.
 */
export class ZlibChunkCodec implements ChunkCodec {
  private output: Buffer[] = [];
  private pending: Pending | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly stream: Transform & { flush(kind: number, callback: () => void): void },
    private readonly flushKind: number,
  ) {
    stream.on('data', (chunk: Buffer) => this.output.push(chunk));
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('end', () => this.settle());
  }

  process(data: Buffer, finish: boolean): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('a chunk is already being processed'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
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

  private settle(): void {
    const pending = this.pending;
    if (!pending || this.failure) return;
    this.pending = undefined;
    const output = this.output.length === 1 ? (this.output[0] as Buffer) : Buffer.concat(this.output);
    this.output = [];
    pending.resolve(output);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
  }
}
