import { createRequire } from 'node:module';
import { Category, GRPC_HEALTH_CHECK_TYPE_URL, schema, type HealthCheckerFactory, type HealthCheckResult, type HealthCheckSession, type HealthCheckTarget, type MessageValue } from '@nodevoy/core';
import { firstGrpcMessage, grpcFrame, HeaderMap, HeaderMutation, headersToAdd } from '@nodevoy/http';
import { Http2HealthCheckClient } from './http2-client.js';
import type { HealthCheckResponse } from './http-client.js';

const { message, string } = schema;

export const grpcHealthCheckSchema = message('envoy.config.core.v3.HealthCheck.GrpcHealthCheck', {
  service_name: string(),
  authority: string(),
  initial_metadata: headersToAdd(),
});
export type GrpcHealthCheckConfig = MessageValue<typeof grpcHealthCheckSchema.fields>;

/** The two messages of `grpc.health.v1.Health/Check`, from the service's own definition. */
const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}`;

interface ProtoType {
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): { status?: number };
}

/** protobufjs, loaded only where a gRPC check is configured. */
function healthMessages(): { request: ProtoType; response: ProtoType } {
  const protobuf = createRequire(import.meta.url)('protobufjs') as { parse(text: string): { root: { lookupType(name: string): ProtoType } } };
  const root = protobuf.parse(HEALTH_PROTO).root;
  return { request: root.lookupType('grpc.health.v1.HealthCheckRequest'), response: root.lookupType('grpc.health.v1.HealthCheckResponse') };
}

const SERVING = 1;
/** The largest answer read: a HealthCheckResponse is a few bytes. */
const MAX_RESPONSE_BYTES = 1024;

/**
 * Envoy's gRPC check judged: HTTP 200 with `application/grpc`, `grpc-status` 0 and a
 * HealthCheckResponse saying SERVING; anything else the host answers is an ACTIVE failure.
 */
function judge(response: HealthCheckResponse, decode: ProtoType['decode']): HealthCheckResult {
  const failed: HealthCheckResult = { healthy: false, type: 'ACTIVE', httpStatus: response.status };
  if (response.status !== 200 || !(response.header('content-type') ?? '').startsWith('application/grpc')) return failed;
  if (response.trailer('grpc-status') !== '0') return failed;
  const message = firstGrpcMessage(response.body);
  if (!message) return failed;
  try {
    return decode(message).status === SERVING ? { healthy: true } : failed;
  } catch {
    return failed;
  }
}

/** `envoy.health_checkers.grpc`: `grpc.health.v1.Health/Check` over HTTP/2, as Envoy asks it. */
export const grpcHealthChecker: HealthCheckerFactory<GrpcHealthCheckConfig> = {
  name: 'envoy.health_checkers.grpc',
  category: Category.healthChecker,
  typeUrls: [GRPC_HEALTH_CHECK_TYPE_URL],
  configSchema: grpcHealthCheckSchema,
  createHealthChecker(config, context) {
    const messages = healthMessages();
    const body = grpcFrame(messages.request.encode({ service: config.service_name ?? '' }).finish());
    const metadata = new HeaderMutation(config.initial_metadata);
    return {
      type: 'GRPC',
      createSession: (target) => new GrpcHealthCheckSession(target, context.reuseConnection, body, metadata, config.authority, messages.response),
    };
  },
};

class GrpcHealthCheckSession implements HealthCheckSession {
  private readonly client: Http2HealthCheckClient;

  constructor(
    private readonly target: HealthCheckTarget,
    reuseConnection: boolean,
    private readonly body: Buffer,
    private readonly metadata: HeaderMutation,
    private readonly authority: string | undefined,
    private readonly response: ProtoType,
  ) {
    this.client = new Http2HealthCheckClient(target, reuseConnection);
  }

  check(done: (result: HealthCheckResult) => void): void {
    const headers = new HeaderMap();
    headers.set('content-type', 'application/grpc');
    headers.set('te', 'trailers');
    headers.set('user-agent', 'Envoy/HC');
    if (!this.metadata.isEmpty) this.metadata.apply(headers, { upstreamHost: this.target.address });
    const request = { method: 'POST', path: '/grpc.health.v1.Health/Check', authority: this.target.hostname(this.authority), headers: headers.toHttp2(), body: this.body };
    this.client.send(request, MAX_RESPONSE_BYTES, (outcome) => done(outcome instanceof Error ? { healthy: false, type: 'NETWORK' } : judge(outcome, this.response.decode.bind(this.response))));
  }

  abandon(): void {
    this.client.abandon();
  }

  close(): void {
    this.client.close();
  }
}
