import {
  DECOMPRESSOR_CATEGORY,
  featureEnabled,
  runtimeFeatureFlagSchema,
  schema,
  type ChunkCodec,
  type Counter,
  type DecompressorLibrary,
  type DecompressorLibraryFactory,
  type MessageValue,
  type Runtime,
  type StatsScope,
} from '@nodevoy/core';

const { message, bool, required, extensionEntry } = schema;
const PROTO = 'envoy.extensions.filters.http.decompressor.v3.Decompressor';

const commonDirectionConfigSchema = message(`${PROTO}.CommonDirectionConfig`, {
  enabled: runtimeFeatureFlagSchema,
  ignore_no_transform_header: bool(),
});

export const decompressorConfigSchema = message(PROTO, {
  decompressor_library: required(extensionEntry('envoy.config.core.v3.TypedExtensionConfig', DECOMPRESSOR_CATEGORY)),
  request_direction_config: message(`${PROTO}.RequestDirectionConfig`, { common_config: commonDirectionConfigSchema, advertise_accept_encoding: bool() }),
  response_direction_config: message(`${PROTO}.ResponseDirectionConfig`, { common_config: commonDirectionConfigSchema }),
});
export type DecompressorConfig = MessageValue<typeof decompressorConfigSchema.fields>;
type CommonDirectionConfig = MessageValue<typeof commonDirectionConfigSchema.fields>;

const COUNTERS = ['decompressed', 'not_decompressed', 'total_uncompressed_bytes', 'total_compressed_bytes'] as const;
export type DecompressorStats = Record<(typeof COUNTERS)[number], Counter>;

/** One direction's switch, no-transform rule and stats. */
export class DirectionConfig {
  readonly stats: DecompressorStats;
  readonly ignoreNoTransformHeader: boolean;

  constructor(
    common: CommonDirectionConfig | undefined,
    private readonly runtime: Runtime,
    scope: StatsScope,
    prefix: string,
  ) {
    this.stats = Object.fromEntries(COUNTERS.map((name) => [name, scope.counter(`${prefix}${name}`)])) as DecompressorStats;
    this.ignoreNoTransformHeader = common?.ignore_no_transform_header ?? false;
    this.enabledFlag = common?.enabled;
  }

  private readonly enabledFlag: CommonDirectionConfig['enabled'];

  enabled(): boolean {
    return featureEnabled(this.runtime, this.enabledFlag);
  }
}

/**
 * One decompressor filter's config (Envoy's DecompressorFilterConfig): its library, both
 * directions (stats under `decompressor.<library name>.<library prefix>request.` / `response.`,
 * the library's own under `decompressor_library.`), whether requests advertise the encoding,
 * and the names of the byte-count trailers.
 */
export class DecompressorFilterConfig {
  readonly library: DecompressorLibrary;
  readonly request: DirectionConfig;
  readonly response: DirectionConfig;
  readonly advertiseAcceptEncoding: boolean;
  readonly compressedBytesTrailer: string;
  readonly uncompressedBytesTrailer: string;
  private readonly libraryStatsPrefix: string;

  constructor(
    config: DecompressorConfig,
    runtime: Runtime,
    private readonly scope: StatsScope,
  ) {
    const entry = config.decompressor_library;
    this.library = (entry.typed.target as DecompressorLibraryFactory).createDecompressorLibrary(entry.typed.config);
    const prefix = `decompressor.${entry.name}.${this.library.statsPrefix}`;
    this.libraryStatsPrefix = `${prefix}decompressor_library.`;
    this.request = new DirectionConfig(config.request_direction_config?.common_config, runtime, scope, `${prefix}request.`);
    this.response = new DirectionConfig(config.response_direction_config?.common_config, runtime, scope, `${prefix}response.`);
    this.advertiseAcceptEncoding = config.request_direction_config?.advertise_accept_encoding ?? true;
    this.compressedBytesTrailer = `x-envoy-decompressor-${entry.name}-compressed-bytes`.toLowerCase();
    this.uncompressedBytesTrailer = `x-envoy-decompressor-${entry.name}-uncompressed-bytes`.toLowerCase();
  }

  createDecompressor(): ChunkCodec {
    return this.library.createDecompressor(this.scope, this.libraryStatsPrefix);
  }
}
