import {
  COMPRESSOR_CATEGORY,
  featureEnabled,
  runtimeFeatureFlagSchema,
  schema,
  type CompressorLibrary,
  type CompressorLibraryFactory,
  type Counter,
  type MessageValue,
  type Runtime,
  type RuntimeFeatureFlagConfig,
  type StatsScope,
} from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';

const { message, repeated, string, uint32, bool, required, extensionEntry } = schema;
const PROTO = 'envoy.extensions.filters.http.compressor.v3';

const commonDirectionConfigSchema = message(`${PROTO}.Compressor.CommonDirectionConfig`, {
  enabled: runtimeFeatureFlagSchema,
  min_content_length: uint32(),
  content_type: repeated(string()),
});

export const compressorConfigSchema = message(`${PROTO}.Compressor`, {
  content_length: uint32(),
  content_type: repeated(string()),
  disable_on_etag_header: bool(),
  remove_accept_encoding_header: bool(),
  runtime_enabled: runtimeFeatureFlagSchema,
  compressor_library: required(extensionEntry('envoy.config.core.v3.TypedExtensionConfig', COMPRESSOR_CATEGORY)),
  request_direction_config: message(`${PROTO}.Compressor.RequestDirectionConfig`, { common_config: commonDirectionConfigSchema }),
  response_direction_config: message(`${PROTO}.Compressor.ResponseDirectionConfig`, {
    common_config: commonDirectionConfigSchema,
    disable_on_etag_header: bool(),
    remove_accept_encoding_header: bool(),
    uncompressible_response_codes: repeated(uint32({ gte: 200, lt: 600 })),
    status_header_enabled: bool(),
    weaken_etag_on_compress: bool(),
  }),
  choose_first: bool(),
});
export type CompressorConfig = MessageValue<typeof compressorConfigSchema.fields>;
type CommonDirectionConfig = MessageValue<typeof commonDirectionConfigSchema.fields>;

/** Envoy's default: what compresses well and is commonly served uncompressed. */
const DEFAULT_CONTENT_TYPES = [
  'text/html', 'text/plain', 'text/css', 'application/javascript', 'application/x-javascript', 'text/javascript',
  'text/x-javascript', 'text/ecmascript', 'text/js', 'text/jscript', 'text/x-js', 'application/ecmascript',
  'application/x-json', 'application/xml', 'application/json', 'image/svg+xml', 'text/xml', 'application/xhtml+xml',
  'application/grpc-web', 'application/grpc-web+proto',
];
const DEFAULT_MIN_CONTENT_LENGTH = 30;

const DIRECTION_COUNTERS = ['compressed', 'not_compressed', 'total_uncompressed_bytes', 'total_compressed_bytes', 'content_length_too_small'] as const;
const RESPONSE_COUNTERS = ['no_accept_header', 'header_identity', 'header_compressor_used', 'header_compressor_overshadowed', 'header_wildcard', 'header_not_valid', 'not_compressed_etag'] as const;
export type DirectionStats = Record<(typeof DIRECTION_COUNTERS)[number], Counter>;
export type ResponseStats = Record<(typeof RESPONSE_COUNTERS)[number], Counter>;

function counters<const N extends string>(scope: StatsScope, prefix: string, names: readonly N[]): Record<N, Counter> {
  return Object.fromEntries(names.map((name) => [name, scope.counter(`${prefix}${name}`)])) as Record<N, Counter>;
}

/** The media type of a Content-Type, as Envoy compares it: before any `;`, trimmed, any case. */
export function mediaType(headers: HeaderMap): string | undefined {
  const value = headers.get('content-type');
  return value === undefined ? undefined : value.split(';', 1)[0]?.trim().toLowerCase();
}

/** What both directions check: enabled, big enough, an allowed content type. */
export class DirectionConfig {
  readonly minContentLength: number;
  readonly contentTypes: ReadonlySet<string>;

  constructor(
    common: CommonDirectionConfig | undefined,
    private readonly enabledFlag: RuntimeFeatureFlagConfig | undefined,
    private readonly runtime: Runtime,
    readonly stats: DirectionStats,
  ) {
    this.minContentLength = common?.min_content_length || DEFAULT_MIN_CONTENT_LENGTH;
    const types = common?.content_type ?? [];
    this.contentTypes = new Set((types.length > 0 ? types : DEFAULT_CONTENT_TYPES).map((t) => t.toLowerCase()));
  }

  compressionEnabled(): boolean {
    return featureEnabled(this.runtime, this.enabledFlag);
  }

  /** A Content-Length under the minimum is counted (`content_length_too_small`); no length passes. */
  isMinimumContentLength(headers: HeaderMap): boolean {
    const value = headers.get('content-length');
    if (value === undefined) return true;
    const big = /^\d+$/.test(value) && Number(value) >= this.minContentLength;
    if (!big) this.stats.content_length_too_small.inc();
    return big;
  }

  isContentTypeAllowed(headers: HeaderMap): boolean {
    const type = mediaType(headers);
    return type === undefined || this.contentTypes.has(type);
  }
}

/**
 * One compressor filter's config (Envoy's CompressorFilterConfig): its library, each direction's
 * rules and stats (under `compressor.<library name>.<library prefix>`, with `request.` and, when
 * `response_direction_config` is given, `response.`), the deprecated top-level fields standing in
 * for `response_direction_config` when it is absent.
 */
export class CompressorFilterConfig {
  readonly library: CompressorLibrary;
  readonly contentEncoding: string;
  readonly chooseFirst: boolean;
  readonly request: DirectionConfig;
  /** Request compression happens only where `request_direction_config` is given. */
  readonly requestCompression: boolean;
  readonly response: DirectionConfig;
  readonly responseStats: ResponseStats;
  readonly disableOnEtagHeader: boolean;
  readonly removeAcceptEncodingHeader: boolean;
  readonly weakenEtagOnCompress: boolean;
  readonly statusHeaderEnabled: boolean;
  readonly uncompressibleResponseCodes: ReadonlySet<number>;

  constructor(config: CompressorConfig, runtime: Runtime, scope: StatsScope) {
    const entry = config.compressor_library;
    this.library = (entry.typed.target as CompressorLibraryFactory).createCompressorLibrary(entry.typed.config);
    this.contentEncoding = this.library.contentEncoding;
    this.chooseFirst = config.choose_first ?? false;
    const prefix = `compressor.${entry.name}.${this.library.statsPrefix}`;
    const requestConfig = config.request_direction_config;
    this.requestCompression = requestConfig !== undefined;
    this.request = new DirectionConfig(requestConfig?.common_config, requestConfig?.common_config?.enabled, runtime, counters(scope, `${prefix}request.`, DIRECTION_COUNTERS));
    const response = config.response_direction_config;
    const common: CommonDirectionConfig | undefined = response
      ? response.common_config
      : { ...(config.content_length === undefined ? {} : { min_content_length: config.content_length }), ...(config.content_type ? { content_type: config.content_type } : {}) };
    const enabled = response ? response.common_config?.enabled : config.runtime_enabled;
    this.response = new DirectionConfig(common, enabled, runtime, counters(scope, response ? `${prefix}response.` : prefix, DIRECTION_COUNTERS));
    this.responseStats = counters(scope, prefix, RESPONSE_COUNTERS);
    this.disableOnEtagHeader = (response ? response.disable_on_etag_header : config.disable_on_etag_header) ?? false;
    this.removeAcceptEncodingHeader = (response ? response.remove_accept_encoding_header : config.remove_accept_encoding_header) ?? false;
    this.weakenEtagOnCompress = response?.weaken_etag_on_compress ?? false;
    this.statusHeaderEnabled = response?.status_header_enabled ?? false;
    this.uncompressibleResponseCodes = new Set(response?.uncompressible_response_codes ?? []);
  }
}

const perRouteSchema = message(
  `${PROTO}.CompressorPerRoute`,
  {
    disabled: bool(),
    overrides: message(`${PROTO}.CompressorOverrides`, {
      response_direction_config: message(`${PROTO}.ResponseDirectionOverrides`, { remove_accept_encoding_header: bool() }),
    }, { unsupported: { compressor_library: 'a route cannot choose another compressor library yet: add a second compressor filter and turn it on for the route' } }),
  },
  {
    oneofs: [{ fields: ['disabled', 'overrides'], required: true }],
    check(value, report) {
      if (value.disabled === false) report('disabled', 'disabled must be true when given (Envoy: const true)');
    },
  },
);
export { perRouteSchema as compressorPerRouteSchema };
export type CompressorPerRouteConfig = MessageValue<typeof perRouteSchema.fields>;

/** A route's word on response compression: on or off, and whether Accept-Encoding goes upstream. */
export interface CompressorPerRoute {
  readonly responseCompressionEnabled: boolean | undefined;
  readonly removeAcceptEncodingHeader: boolean | undefined;
}

export function compilePerRoute(config: CompressorPerRouteConfig): CompressorPerRoute {
  if (config.disabled) return { responseCompressionEnabled: false, removeAcceptEncodingHeader: undefined };
  const response = config.overrides?.response_direction_config;
  // As Envoy: an overrides' response_direction_config, even empty, turns response compression on.
  return { responseCompressionEnabled: response ? true : undefined, removeAcceptEncodingHeader: response?.remove_accept_encoding_header };
}
