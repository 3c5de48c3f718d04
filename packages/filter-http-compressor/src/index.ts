import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, type HttpFilterFactory, type HttpFilterRouteConfigFactory } from '@nodevoy/filter-http-connection-manager';
import { compilePerRoute, compressorConfigSchema, compressorPerRouteSchema, CompressorFilterConfig, type CompressorConfig, type CompressorPerRoute, type CompressorPerRouteConfig } from './compressor-config.js';
import { CompressorFilter } from './compressor-filter.js';

const NAME = 'envoy.filters.http.compressor';

/** `envoy.filters.http.compressor`: its library comes from `compressor_library` (gzip, brotli packages). */
export const compressorFilter: HttpFilterFactory<CompressorConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor'],
  configSchema: compressorConfigSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, statsScope, filterConfigName) {
    const compiled = new CompressorFilterConfig(config, context.server.runtime, statsScope);
    return (addFilter) => addFilter(new CompressorFilter(compiled, filterConfigName));
  },
};

/** The compressor's per-route config: off for a route, or on with its own Accept-Encoding rule. */
export const compressorRouteConfig: HttpFilterRouteConfigFactory<CompressorPerRouteConfig, CompressorPerRoute> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute'],
  configSchema: compressorPerRouteSchema,
  createRouteSpecificFilterConfig: compilePerRoute,
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(compressorFilter).add(compressorRouteConfig);
  },
};
