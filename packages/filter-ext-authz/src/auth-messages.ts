import { loadEnvoyProtos, toProto3Json } from '@nodevoy/config-mux-grpc';
import type protobuf from 'protobufjs';
import type { AttributeContext } from './check-request.js';

/** `envoy.service.auth.v3.CheckResponse` in proto3 JSON (enums by name, Struct as plain JSON). */
export interface CheckResponseJson {
  readonly status?: { readonly code?: number };
  readonly denied_response?: {
    readonly status?: { readonly code?: string | number };
    readonly headers?: readonly HeaderValueOptionJson[];
    readonly body?: string;
  };
  readonly ok_response?: {
    readonly headers?: readonly HeaderValueOptionJson[];
    readonly headers_to_remove?: readonly string[];
    readonly response_headers_to_add?: readonly HeaderValueOptionJson[];
    readonly query_parameters_to_set?: readonly { readonly key?: string; readonly value?: string }[];
    readonly query_parameters_to_remove?: readonly string[];
    readonly dynamic_metadata?: Readonly<Record<string, unknown>>;
  };
  readonly dynamic_metadata?: Readonly<Record<string, unknown>>;
}

export interface HeaderValueOptionJson {
  readonly header?: { readonly key?: string; readonly value?: string; readonly raw_value?: string };
  readonly append?: boolean;
}


/** The service's path, as gRPC names the method. */
export const CHECK_METHOD_PATH = '/envoy.service.auth.v3.Authorization/Check';

let messages: { readonly request: protobuf.Type; readonly response: protobuf.Type } | undefined;

/** The two messages of `envoy.service.auth.v3.Authorization/Check`, from Envoy's own `.proto` (loaded on first use). */
function checkMessages(): { readonly request: protobuf.Type; readonly response: protobuf.Type } {
  if (!messages) {
    const root = loadEnvoyProtos(() => ['envoy/service/auth/v3/external_auth.proto']);
    messages = { request: root.lookupType('envoy.service.auth.v3.CheckRequest'), response: root.lookupType('envoy.service.auth.v3.CheckResponse') };
  }
  return messages;
}

/**
 * Plain JSON as `google.protobuf.Value`, for the metadata Envoy passes in `metadata_context`
 * (protobufjs bundles the well-known types with camelCase field names).
 */
function protoValue(value: unknown): object {
  if (value === null || value === undefined) return { nullValue: 0 };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(protoValue) } };
  return { structValue: protoStruct(value as Record<string, unknown>) };
}

function protoStruct(object: Readonly<Record<string, unknown>>): object {
  return { fields: Object.fromEntries(Object.entries(object).map(([key, value]) => [key, protoValue(value)])) };
}

/** A CheckRequest on the wire. */
export function encodeCheckRequest(attributes: AttributeContext): Uint8Array {
  const { request } = checkMessages();
  const filterMetadata = Object.fromEntries(Object.entries(attributes.metadata_context.filter_metadata).map(([ns, values]) => [ns, protoStruct(values as Record<string, unknown>)]));
  const message = request.fromObject({ attributes: { ...attributes, metadata_context: { filter_metadata: filterMetadata } } });
  return request.encode(message).finish();
}

/** A CheckResponse from the wire; throws when the bytes are not one. */
export function decodeCheckResponse(bytes: Uint8Array): CheckResponseJson {
  const { response } = checkMessages();
  return toProto3Json(response, response.decode(bytes) as unknown as Record<string, unknown>) as CheckResponseJson;
}
