import type { GrpcServiceConfig, ServerContext } from '@nodevoy/core';
import { grpcJs } from '@nodevoy/config-mux-grpc';
import { firstGrpcMessage, grpcFrame, HeaderMap, sendAsyncRequest, statusCodeOf, type AsyncResponse } from '@nodevoy/http';
import { CHECK_METHOD_PATH, decodeCheckResponse, encodeCheckRequest, type CheckResponseJson, type HeaderValueOptionJson } from './auth-messages.js';
import type { AuthzClient, CheckCall, PendingCheck } from './authz-client.js';
import { deniedResponse, ERROR_RESPONSE, okResponse, type AuthzResponse } from './authz-response.js';
import type { AttributeContext } from './check-request.js';

/** The filter's timeout for a gRPC check when the GrpcService sets none (Envoy's). */
const DEFAULT_TIMEOUT_MS = 200;
/** gRPC's OK. */
const GRPC_OK = 0;

/** The one message of a unary answer, when the call succeeded (HTTP 200, `grpc-status: 0`, an uncompressed message). */
function unaryMessage(response: AsyncResponse): Buffer | undefined {
  const grpcStatus = response.trailers.get('grpc-status') ?? response.headers.get('grpc-status');
  return response.status === 200 && grpcStatus === '0' ? firstGrpcMessage(response.body) : undefined;
}

const header = (option: HeaderValueOptionJson): [string, string] => [(option.header?.key ?? '').toLowerCase(), option.header?.value ?? option.header?.raw_value ?? ''];

/**
 * A CheckResponse as a decision, as Envoy 1.40 reads it: `status.code` OK allows, each header
 * of the OK response appended to an existing value (`,`) when its `append` is true and
 * replacing it otherwise (`append_action` is not read); any other code denies with the denied
 * response's status (403 when unset), body and the headers whose `append` is not true.
 */
export function checkResponseDecision(response: CheckResponseJson): AuthzResponse {
  const dynamicMetadata = { ...response.ok_response?.dynamic_metadata, ...response.dynamic_metadata };
  if ((response.status?.code ?? GRPC_OK) !== GRPC_OK) {
    const denied = response.denied_response;
    const code = denied?.status?.code === undefined ? undefined : statusCodeOf(denied.status.code);
    return deniedResponse(code ?? 403, {
      body: denied?.body ?? '',
      deniedHeaders: (denied?.headers ?? []).filter((option) => option.append !== true).map((option) => {
        const [name, value] = header(option);
        return { name, value, append: false };
      }),
      dynamicMetadata,
    });
  }
  const ok = response.ok_response;
  const byAppend = (options: readonly HeaderValueOptionJson[] | undefined, append: boolean) => (options ?? []).filter((option) => (option.append === true) === append).map(header);
  return okResponse({
    headersToSet: byAppend(ok?.headers, false),
    headersToAppend: byAppend(ok?.headers, true),
    headersToRemove: (ok?.headers_to_remove ?? []).map((name) => name.toLowerCase()),
    responseHeadersToAdd: byAppend(ok?.response_headers_to_add, true),
    responseHeadersToSet: byAppend(ok?.response_headers_to_add, false),
    queryParametersToSet: (ok?.query_parameters_to_set ?? []).map((p): [string, string] => [p.key ?? '', p.value ?? '']),
    queryParametersToRemove: ok?.query_parameters_to_remove ?? [],
    dynamicMetadata,
  });
}

/** A decoded answer, or an error when the bytes are not a CheckResponse. */
function decide(message: Uint8Array | undefined): AuthzResponse {
  if (!message) return ERROR_RESPONSE;
  try {
    return checkResponseDecision(decodeCheckResponse(message));
  } catch {
    return ERROR_RESPONSE;
  }
}

/**
 * A gRPC authorization service, `envoy.service.auth.v3.Authorization/Check`: with `envoy_grpc`
 * a unary call through the named cluster (its pools, balancer and stats, HTTP/2 as the cluster
 * speaks it), with `google_grpc` through @grpc/grpc-js to `target_uri`. Messages are encoded
 * with Envoy's own `.proto` files.
 */
export class GrpcAuthzClient implements AuthzClient {
  private readonly timeoutMs: number;
  private readonly metadata: readonly (readonly [string, string])[];
  private googleClient: import('@grpc/grpc-js').Client | undefined;

  constructor(
    private readonly service: GrpcServiceConfig,
    private readonly server: ServerContext,
  ) {
    this.timeoutMs = service.timeout ?? DEFAULT_TIMEOUT_MS;
    this.metadata = (service.initial_metadata ?? []).map((entry) => [entry.key.toLowerCase(), entry.value ?? '']);
  }

  check(attributes: AttributeContext, call: CheckCall): PendingCheck {
    const message = grpcFrame(encodeCheckRequest(attributes));
    return this.service.google_grpc ? this.googleCall(this.service.google_grpc.target_uri, message) : this.envoyCall(message, call);
  }

  private envoyCall(message: Buffer, call: CheckCall): PendingCheck {
    const cluster = this.service.envoy_grpc?.cluster_name ?? '';
    const headers = HeaderMap.from([['content-type', 'application/grpc'], ['te', 'trailers'], ...this.metadata]);
    if (this.timeoutMs > 0) headers.set('grpc-timeout', `${this.timeoutMs}m`);
    const request = sendAsyncRequest(call.server, call.worker, call.requester, {
      cluster,
      method: 'POST',
      path: CHECK_METHOD_PATH,
      authority: this.service.envoy_grpc?.authority || cluster,
      headers,
      body: message,
      timeoutMs: this.timeoutMs,
    });
    return {
      result: request.outcome.then((outcome) => decide(outcome.kind === 'response' ? unaryMessage(outcome.response) : undefined)),
      cancel: () => request.cancel(),
    };
  }

  private googleCall(target: string, message: Buffer): PendingCheck {
    const grpc = grpcJs();
    if (!this.googleClient) {
      const client = new grpc.Client(target, grpc.credentials.createInsecure());
      this.server.lifecycle.onShutdown(() => client.close());
      this.googleClient = client;
    }
    const metadata = new grpc.Metadata();
    for (const [name, value] of this.metadata) metadata.add(name, value);
    let cancelled = false;
    let settle: (response: AuthzResponse) => void = () => {};
    const result = new Promise<AuthzResponse>((resolve) => (settle = resolve));
    const options = this.timeoutMs > 0 ? { deadline: Date.now() + this.timeoutMs } : {};
    const identity = (bytes: Buffer) => bytes;
    const unary = (this.googleClient as import('@grpc/grpc-js').Client).makeUnaryRequest(CHECK_METHOD_PATH, identity, identity, message.subarray(5), metadata, options, (err, bytes) => {
      if (!cancelled) settle(decide(err ? undefined : bytes));
    });
    return {
      result,
      cancel() {
        cancelled = true;
        unary.cancel();
      },
    };
  }
}
