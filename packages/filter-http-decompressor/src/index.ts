import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import { decompressorConfigSchema, DecompressorFilterConfig, type DecompressorConfig } from './decompressor-config.js';
import { DecompressorFilter } from './decompressor-filter.js';

/** `envoy.filters.http.decompressor`: its library comes from `decompressor_library` (the gzip package). */
export const decompressorFilter: HttpFilterFactory<DecompressorConfig> = {
  name: 'envoy.filters.http.decompressor',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.decompressor.v3.Decompressor'],
  configSchema: decompressorConfigSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, statsScope) {
    const compiled = new DecompressorFilterConfig(config, context.server.runtime, statsScope);
    return (addFilter) => addFilter(new DecompressorFilter(compiled));
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(decompressorFilter);
  },
};
