import type { ChunkCodec } from './compression-library.js';
import { InflateRatioExceeded } from './zlib-chunk-codec.js';

const EMPTY = Buffer.alloc(0);

/**
 * A decompressor as Envoy's behave: bad input ends the output (the stream itself goes on, with
 * nothing more from this codec) and is reported once to `onError`; an inflate-ratio stop was
 * reported by the codec already.
 */
export class OutputEndingCodec implements ChunkCodec {
  private ended = false;

  constructor(
    private readonly codec: ChunkCodec,
    private readonly onError: (error: Error) => void,
  ) {}

  async process(data: Buffer, finish: boolean): Promise<Buffer> {
    if (this.ended) return EMPTY;
    try {
      return await this.codec.process(data, finish);
    } catch (err) {
      this.ended = true;
      this.codec.close();
      if (!(err instanceof InflateRatioExceeded)) this.onError(err instanceof Error ? err : new Error(String(err)));
      return EMPTY;
    }
  }

  close(): void {
    this.codec.close();
  }
}
