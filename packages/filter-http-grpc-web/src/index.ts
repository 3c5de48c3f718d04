import { extensionPackage, schema, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import { GrpcWebFilter } from './grpc-web-filter.js';

const grpcWebSchema = schema.empty('envoy.extensions.filters.http.grpc_web.v3.GrpcWeb');

/** `envoy.filters.http.grpc_web`. */
export const httpGrpcWeb: HttpFilterFactory<Record<string, never>> = {
  name: 'envoy.filters.http.grpc_web',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb'],
  configSchema: grpcWebSchema,
  isTerminalFilter: false,
  createFilterFactory(_config, context) {
    return (addFilter) => addFilter(new GrpcWebFilter(context.server));
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpGrpcWeb);
  },
};
