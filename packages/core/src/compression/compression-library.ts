import type { ExtensionFactory } from '../registry/types.js';
import type { StatsScope } from '../stats/store.js';

/**
 * One stream's compressor or decompressor (Envoy's `Compression::Compressor` / `Decompressor`):
 * each chunk goes in and what it yields comes out flushed, so the peer can use every byte sent so
 * far; `finish` ends the format (a gzip trailer). A rejection is the format's error.
 */
export interface ChunkCodec {
  process(data: Buffer, finish: boolean): Promise<Buffer>;
  /** The stream ended another way: free what the library holds. */
  close(): void;
}

/** What a compression library tells the filters that use it. */
export interface CompressionLibrary {
  /** The `content-encoding` token it produces or reads (`gzip`, `br`). */
  readonly contentEncoding: string;
  /** Its part of the filter's stat names, with the trailing dot (`gzip.`, `brotli.`). */
  readonly statsPrefix: string;
}

export interface CompressorLibrary extends CompressionLibrary {
  createCompressor(): ChunkCodec;
}

export interface DecompressorLibrary extends CompressionLibrary {
  /**
   * A decompressor that never fails its stream, as Envoy's: bad input or too much output (a
   * compression bomb) ends its output, counted in the library's stats under `statsPrefix`.
   */
  createDecompressor(scope: StatsScope, statsPrefix: string): ChunkCodec;
}

/** Envoy's compression extension categories: `compressor_library` / `decompressor_library` entries. */
export const COMPRESSOR_CATEGORY = 'envoy.compression.compressor';
export const DECOMPRESSOR_CATEGORY = 'envoy.compression.decompressor';

export interface CompressorLibraryFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof COMPRESSOR_CATEGORY;
  createCompressorLibrary(config: C): CompressorLibrary;
}

export interface DecompressorLibraryFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof DECOMPRESSOR_CATEGORY;
  createDecompressorLibrary(config: C): DecompressorLibrary;
}
