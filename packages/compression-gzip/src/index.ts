import { constants, createGzip } from 'node:zlib';
import { COMPRESSOR_CATEGORY, ZlibChunkCodec, extensionPackage, schema, type CompressorLibraryFactory, type MessageValue, type NodevoyExtension } from '@nodevoy/core';
import { gzipDecompressor } from './gzip-decompressor.js';

const { message, uint32, enumOf } = schema;

const LEVELS = ['DEFAULT_COMPRESSION', 'BEST_SPEED', 'COMPRESSION_LEVEL_1', 'COMPRESSION_LEVEL_2', 'COMPRESSION_LEVEL_3', 'COMPRESSION_LEVEL_4', 'COMPRESSION_LEVEL_5', 'COMPRESSION_LEVEL_6', 'COMPRESSION_LEVEL_7', 'COMPRESSION_LEVEL_8', 'COMPRESSION_LEVEL_9', 'BEST_COMPRESSION'] as const;
const STRATEGIES = ['DEFAULT_STRATEGY', 'FILTERED', 'HUFFMAN_ONLY', 'RLE', 'FIXED'] as const;

const gzipSchema = message('envoy.extensions.compression.gzip.compressor.v3.Gzip', {
  memory_level: uint32({ gte: 1, lte: 9 }),
  compression_level: enumOf('envoy.extensions.compression.gzip.compressor.v3.Gzip.CompressionLevel', LEVELS),
  compression_strategy: enumOf('envoy.extensions.compression.gzip.compressor.v3.Gzip.CompressionStrategy', STRATEGIES),
  window_bits: uint32({ gte: 9, lte: 15 }),
  chunk_size: uint32({ gte: 4096, lte: 65536 }),
});
type GzipConfig = MessageValue<typeof gzipSchema.fields>;

/** zlib's level for each of Envoy's names: DEFAULT_COMPRESSION is zlib's default (6). */
function zlibLevel(level: GzipConfig['compression_level']): number {
  if (level === undefined || level === 'DEFAULT_COMPRESSION') return constants.Z_DEFAULT_COMPRESSION;
  if (level === 'BEST_SPEED') return constants.Z_BEST_SPEED;
  if (level === 'BEST_COMPRESSION') return constants.Z_BEST_COMPRESSION;
  return Number(level.slice('COMPRESSION_LEVEL_'.length));
}

/** `envoy.compression.gzip.compressor`: gzip with Envoy's defaults (memory level 5, a 4 KiB window). */
export const gzipCompressor: CompressorLibraryFactory<GzipConfig> = {
  name: 'envoy.compression.gzip.compressor',
  category: COMPRESSOR_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip'],
  configSchema: gzipSchema,
  createCompressorLibrary(config) {
    const options = {
      level: zlibLevel(config.compression_level),
      memLevel: config.memory_level ?? 5,
      windowBits: config.window_bits ?? 12,
      strategy: STRATEGIES.indexOf(config.compression_strategy ?? 'DEFAULT_STRATEGY'),
      chunkSize: config.chunk_size ?? 4096,
    };
    return {
      contentEncoding: 'gzip',
      statsPrefix: 'gzip.',
      createCompressor: () => new ZlibChunkCodec(createGzip(options), constants.Z_SYNC_FLUSH),
    };
  },
};

export { gzipDecompressor };

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(gzipCompressor).add(gzipDecompressor);
  },
};
