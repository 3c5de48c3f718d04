import { createGunzip, constants } from 'node:zlib';
import { DECOMPRESSOR_CATEGORY, OutputEndingCodec, ZlibChunkCodec, schema, type DecompressorLibraryFactory, type MessageValue } from '@nodevoy/core';

const { message, uint32 } = schema;

const gunzipSchema = message('envoy.extensions.compression.gzip.decompressor.v3.Gzip', {
  window_bits: uint32({ gte: 9, lte: 15 }),
  chunk_size: uint32({ gte: 4096, lte: 65536 }),
  max_inflate_ratio: uint32({ gte: 1, lte: 1032 }),
});
type GunzipConfig = MessageValue<typeof gunzipSchema.fields>;

/** Envoy's zlib error counters, by the code node:zlib gives its errors. */
const ERROR_COUNTERS: Readonly<Record<string, string>> = {
  Z_ERRNO: 'zlib_errno',
  Z_STREAM_ERROR: 'zlib_stream_error',
  Z_DATA_ERROR: 'zlib_data_error',
  Z_MEM_ERROR: 'zlib_mem_error',
  Z_BUF_ERROR: 'zlib_buf_error',
  Z_VERSION_ERROR: 'zlib_version_error',
};

/**
 * `envoy.compression.gzip.decompressor`: gzip read a chunk at a time (a 32 KiB window, 4 KiB
 * output chunks and an inflate ratio of 100 by default, as Envoy). Bad input and compression
 * bombs end the output, counted as Envoy counts them (`zlib_data_error` for both).
 */
export const gzipDecompressor: DecompressorLibraryFactory<GunzipConfig> = {
  name: 'envoy.compression.gzip.decompressor',
  category: DECOMPRESSOR_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.compression.gzip.decompressor.v3.Gzip'],
  configSchema: gunzipSchema,
  createDecompressorLibrary(config) {
    const options = { windowBits: config.window_bits ?? 15, chunkSize: config.chunk_size ?? 4096 };
    const maxInflateRatio = config.max_inflate_ratio ?? 100;
    return {
      contentEncoding: 'gzip',
      statsPrefix: 'gzip.',
      createDecompressor(scope, statsPrefix) {
        const counters = Object.fromEntries(Object.values(ERROR_COUNTERS).map((name) => [name, scope.counter(`${statsPrefix}${name}`)]));
        const count = (name: string | undefined) => counters[name ?? 'zlib_data_error']?.inc();
        const codec = new ZlibChunkCodec(createGunzip(options), constants.Z_SYNC_FLUSH, { maxInflateRatio, outputChunkSize: options.chunkSize, onInflateRatioExceeded: () => count('zlib_data_error') });
        return new OutputEndingCodec(codec, (error) => count(ERROR_COUNTERS[(error as NodeJS.ErrnoException).code ?? '']));
      },
    };
  },
};
