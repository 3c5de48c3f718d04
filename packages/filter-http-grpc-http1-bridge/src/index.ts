import { extensionPackage, schema, type MessageValue, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import { GrpcHttp1BridgeFilter } from './grpc-http1-bridge-filter.js';

const NOT_YET = 'not implemented by nodevoy yet';

const bridgeSchema = schema.message('envoy.extensions.filters.http.grpc_http1_bridge.v3.Config', {}, {
  unsupported: { upgrade_protobuf_to_grpc: NOT_YET, ignore_query_parameters: NOT_YET },
});

/** `envoy.filters.http.grpc_http1_bridge`. */
export const httpGrpcHttp1Bridge: HttpFilterFactory<MessageValue<typeof bridgeSchema.fields>> = {
  name: 'envoy.filters.http.grpc_http1_bridge',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.grpc_http1_bridge.v3.Config'],
  configSchema: bridgeSchema,
  isTerminalFilter: false,
  createFilterFactory() {
    return (addFilter) => addFilter(new GrpcHttp1BridgeFilter());
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpGrpcHttp1Bridge);
  },
};
