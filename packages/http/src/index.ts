import { extensionPackage } from '@nodevoy/core';
import type { NodevoyExtension } from '@nodevoy/core';
import { httpProtocolOptions } from './protocol-options.js';

/** Registers `envoy.extensions.upstreams.http.v3.HttpProtocolOptions` for clusters. */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpProtocolOptions);
  },
};

export { ConnectionDuplex, ConnectionResetError } from './connection-duplex.js';
export { cookieValue, HeaderMap, HOP_BY_HOP, hasNoTransform, stripHopByHop, stripHopByHopKeepingUpgrade, upgradeRequested } from './headers.js';
export { HeaderMutation } from './header-mutation.js';
export { httpServiceSchema, httpUriSchema, type HttpServiceConfig, type HttpUriConfig } from './http-service.js';
export { headerValueOptionSchema, headersToAdd, headersToRemove, type HeaderValueOptionConfig } from './header-options.js';
export {
  commonHttpOptions,
  http1Options,
  http1ProtocolOptionsSchema,
  http2ProtocolOptionsSchema,
  commonHttpProtocolOptionsSchema,
  httpProtocolOptions,
  httpProtocolOptionsSchema,
  upstreamCodec,
  type HttpProtocolOptions,
  type UpstreamCodec,
} from './protocol-options.js';
export { HTTP_POOLS, HttpPools, httpPools } from './pools/http-pools.js';
export { UpstreamConnectError } from './pools/upstream-connector.js';
export type { RequestHead, ResponseHead, UpstreamFailure, UpstreamRequest, UpstreamRequestCallbacks } from './pools/types.js';
export { reasonPhrase } from './status-text.js';
export { HTTPParser, LLHTTP_METHODS, type HeadersCompleteCallback, type LlhttpError, type LlhttpParser } from './llhttp.js';
export { LAST_CHUNK, UNSAFE_HEADER_VALUE, chunkOf, lastChunkWithTrailers } from './chunked-body.js';
export { httpStatusSchema, statusCodeOf } from './http-status-schema.js';
export { HTTP2_SESSION_MEMORY_MB } from './http2-session-memory.js';
export { countUpstreamResponse } from './pools/response-stats.js';
export { sendAsyncRequest, type AsyncOutcome, type AsyncRequest, type AsyncRequestHandle, type AsyncResponse } from './async-client.js';
export { firstGrpcMessage, grpcFrame } from './grpc-frame.js';
export { chargeGrpcStatus, grpcServiceAndMethod, hasGrpcContentType, httpToGrpcStatus, percentEncode } from './grpc-status.js';
