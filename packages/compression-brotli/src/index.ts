import { constants, createBrotliCompress } from 'node:zlib';
import { COMPRESSOR_CATEGORY, ZlibChunkCodec, extensionPackage, schema, type CompressorLibraryFactory, type MessageValue, type NodevoyExtension } from '@nodevoy/core';

const { message, uint32, enumOf, bool } = schema;

const MODES = ['DEFAULT', 'GENERIC', 'TEXT', 'FONT'] as const;
const BROTLI_MODES = {
  DEFAULT: constants.BROTLI_DEFAULT_MODE,
  GENERIC: constants.BROTLI_MODE_GENERIC,
  TEXT: constants.BROTLI_MODE_TEXT,
  FONT: constants.BROTLI_MODE_FONT,
} as const;

const brotliSchema = message('envoy.extensions.compression.brotli.compressor.v3.Brotli', {
  quality: uint32({ lte: 11 }),
  encoder_mode: enumOf('envoy.extensions.compression.brotli.compressor.v3.Brotli.EncoderMode', MODES),
  window_bits: uint32({ gte: 10, lte: 24 }),
  input_block_bits: uint32({ gte: 16, lte: 24 }),
  chunk_size: uint32({ gte: 4096, lte: 65536 }),
  disable_literal_context_modeling: bool(),
});
type BrotliConfig = MessageValue<typeof brotliSchema.fields>;

/** `envoy.compression.brotli.compressor`: brotli with Envoy's defaults (quality 3, window 18, blocks 24). */
export const brotliCompressor: CompressorLibraryFactory<BrotliConfig> = {
  name: 'envoy.compression.brotli.compressor',
  category: COMPRESSOR_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli'],
  configSchema: brotliSchema,
  createCompressorLibrary(config) {
    const options = {
      chunkSize: config.chunk_size ?? 4096,
      params: {
        [constants.BROTLI_PARAM_QUALITY]: config.quality ?? 3,
        [constants.BROTLI_PARAM_MODE]: BROTLI_MODES[config.encoder_mode ?? 'DEFAULT'],
        [constants.BROTLI_PARAM_LGWIN]: config.window_bits ?? 18,
        [constants.BROTLI_PARAM_LGBLOCK]: config.input_block_bits ?? 24,
        [constants.BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING]: config.disable_literal_context_modeling ? 1 : 0,
      },
    };
    return {
      contentEncoding: 'br',
      statsPrefix: 'brotli.',
      createCompressor: () => new ZlibChunkCodec(createBrotliCompress(options), constants.BROTLI_OPERATION_FLUSH),
    };
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(brotliCompressor);
  },
};
