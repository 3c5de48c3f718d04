import type { GrpcServiceConfig, ServerContext, WorkerContext } from '@nodevoy/core';
import { grpcJs } from '@nodevoy/config-mux-grpc';
import { grpcFrame, HeaderMap, sendAsyncRequest, type AsyncOutcome, type HttpServiceConfig } from '@nodevoy/http';

/** The OTLP trace export method. */
export const EXPORT_METHOD_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Envoy's gRPC export timeout when the GrpcService sets none. */
const DEFAULT_GRPC_TIMEOUT_MS = 5000;

/** Sends one serialized export request; resolves whether the collector took it. */
export type OtlpTransport = (body: Uint8Array, worker: WorkerContext) => Promise<boolean>;

const accepted = (outcome: AsyncOutcome, grpc: boolean) => {
  if (outcome.kind !== 'response') return false;
  const { status, headers, trailers } = outcome.response;
  if (!grpc) return status >= 200 && status < 300;
  return status === 200 && (trailers.get('grpc-status') ?? headers.get('grpc-status')) === '0';
};

/** OTLP/HTTP (`http_service`): a protobuf POST to `http_uri.uri` through `http_uri.cluster`, with the service's extra headers. */
export function httpTransport(service: HttpServiceConfig, server: ServerContext): OtlpTransport {
  const uri = new URL(service.http_uri.uri);
  const headers = HeaderMap.from([['content-type', 'application/x-protobuf']]);
  for (const option of service.request_headers_to_add ?? []) headers.set(option.header.key.toLowerCase(), option.header.value ?? option.header.raw_value ?? '');
  return async (body, worker) => {
    const request = sendAsyncRequest(server, worker, undefined, {
      cluster: service.http_uri.cluster,
      method: 'POST',
      path: `${uri.pathname}${uri.search}`,
      authority: uri.host,
      headers,
      body: Buffer.from(body),
      timeoutMs: service.http_uri.timeout,
    });
    return accepted(await request.outcome, false);
  };
}

/** OTLP/gRPC (`grpc_service`): `TraceService/Export` through the cluster (`envoy_grpc`) or with @grpc/grpc-js to `target_uri` (`google_grpc`). */
export function grpcTransport(service: GrpcServiceConfig, server: ServerContext): OtlpTransport {
  const timeoutMs = service.timeout ?? DEFAULT_GRPC_TIMEOUT_MS;
  const metadata = (service.initial_metadata ?? []).map((entry): [string, string] => [entry.key.toLowerCase(), entry.value ?? '']);
  if (service.google_grpc) return googleGrpcTransport(service.google_grpc.target_uri, metadata, timeoutMs, server);
  const cluster = service.envoy_grpc?.cluster_name ?? '';
  const headers = HeaderMap.from([['content-type', 'application/grpc'], ['te', 'trailers'], ['grpc-timeout', `${timeoutMs}m`], ...metadata]);
  return async (body, worker) => {
    const request = sendAsyncRequest(server, worker, undefined, {
      cluster,
      method: 'POST',
      path: EXPORT_METHOD_PATH,
      authority: service.envoy_grpc?.authority || cluster,
      headers,
      body: grpcFrame(body),
      timeoutMs,
    });
    return accepted(await request.outcome, true);
  };
}

function googleGrpcTransport(target: string, metadata: readonly [string, string][], timeoutMs: number, server: ServerContext): OtlpTransport {
  let client: import('@grpc/grpc-js').Client | undefined;
  return (body) => {
    const grpc = grpcJs();
    if (!client) {
      const created = new grpc.Client(target, grpc.credentials.createInsecure());
      server.lifecycle.onShutdown(() => created.close());
      client = created;
    }
    const callMetadata = new grpc.Metadata();
    for (const [name, value] of metadata) callMetadata.add(name, value);
    const identity = (bytes: Buffer) => bytes;
    return new Promise((resolve) => {
      client?.makeUnaryRequest(EXPORT_METHOD_PATH, identity, identity, Buffer.from(body), callMetadata, { deadline: Date.now() + timeoutMs }, (err) => resolve(!err));
    });
  };
}
