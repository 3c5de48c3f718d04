import type { NodeConfig, XdsResource } from '@nodevoy/core';
import { anyToProto3Json, ProtoDecodeError } from './proto3-json.js';
import { envoyProtoRoot } from './proto-root.js';

const RESOURCE_WRAPPER = 'type.googleapis.com/envoy.service.discovery.v3.Resource';
/** gRPC's INTERNAL, the code Envoy puts in a NACK's `error_detail`. */
const GRPC_INTERNAL = 13;

export interface DiscoveryRequestFields {
  readonly versionInfo: string;
  readonly node: NodeConfig | undefined;
  readonly resourceNames: readonly string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail?: string;
}

export interface DiscoveryResponseFields {
  readonly versionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  /** Each resource still encoded: decoding one may fail, and that NACKs the response. */
  readonly resources: readonly { readonly type_url: string; readonly value: Uint8Array }[];
}

export interface DeltaDiscoveryRequestFields {
  readonly node: NodeConfig | undefined;
  readonly typeUrl: string;
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  /** On a new stream: what nodevoy has, by name, so the server sends only what changed. */
  readonly initialResourceVersions: Readonly<Record<string, string>>;
  readonly responseNonce: string;
  readonly errorDetail?: string;
}

export interface DeltaDiscoveryResponseFields {
  readonly systemVersionInfo: string;
  readonly typeUrl: string;
  readonly nonce: string;
  readonly resources: readonly { readonly name: string; readonly version: string; readonly resource?: { readonly type_url: string; readonly value: Uint8Array } }[];
  readonly removed: readonly string[];
}

type AnyMessage = { readonly type_url: string; readonly value: Uint8Array };

/** Encodes and decodes the discovery messages, state of the world and delta, with Envoy's protos. */
export class DiscoveryCodec {
  private readonly root = envoyProtoRoot();
  private readonly requestType = this.root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  private readonly responseType = this.root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
  private readonly deltaRequestType = this.root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  private readonly deltaResponseType = this.root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse');

  encodeDeltaRequest(request: DeltaDiscoveryRequestFields): Buffer {
    const message = this.deltaRequestType.fromObject({
      ...(request.node ? { node: nodeMessage(request.node) } : {}),
      type_url: request.typeUrl,
      resource_names_subscribe: [...request.subscribe],
      resource_names_unsubscribe: [...request.unsubscribe],
      initial_resource_versions: { ...request.initialResourceVersions },
      response_nonce: request.responseNonce,
      ...(request.errorDetail !== undefined ? { error_detail: { code: GRPC_INTERNAL, message: request.errorDetail } } : {}),
    });
    return Buffer.from(this.deltaRequestType.encode(message).finish());
  }

  decodeDeltaResponse(bytes: Buffer): DeltaDiscoveryResponseFields {
    const message = this.deltaResponseType.decode(bytes) as unknown as {
      system_version_info: string;
      type_url: string;
      nonce: string;
      resources: { name: string; version: string; resource?: AnyMessage }[];
      removed_resources: string[];
    };
    return { systemVersionInfo: message.system_version_info, typeUrl: message.type_url, nonce: message.nonce, resources: message.resources, removed: message.removed_resources };
  }

  /** A delta resource's body as proto3 JSON; it must be of the response's type. */
  decodeDeltaResource(name: string, version: string, any: AnyMessage, typeUrl: string): XdsResource {
    return { name, version, body: this.decodeBody(any, typeUrl) };
  }

  encodeRequest(request: DiscoveryRequestFields): Buffer {
    const message = this.requestType.fromObject({
      version_info: request.versionInfo,
      ...(request.node ? { node: nodeMessage(request.node) } : {}),
      resource_names: [...request.resourceNames],
      type_url: request.typeUrl,
      response_nonce: request.responseNonce,
      ...(request.errorDetail !== undefined ? { error_detail: { code: GRPC_INTERNAL, message: request.errorDetail } } : {}),
    });
    return Buffer.from(this.requestType.encode(message).finish());
  }

  decodeResponse(bytes: Buffer): DiscoveryResponseFields {
    const message = this.responseType.decode(bytes) as unknown as { version_info: string; type_url: string; nonce: string; resources: { type_url: string; value: Uint8Array }[] };
    return { versionInfo: message.version_info, typeUrl: message.type_url, nonce: message.nonce, resources: message.resources };
  }

  /**
   * One resource as proto3 JSON, named as its type names it. A resource may come wrapped in a
   * `Resource` (name beside it); its type must be the response's, as Envoy checks.
   */
  decodeResource(any: { readonly type_url: string; readonly value: Uint8Array }, typeUrl: string): XdsResource {
    let inner = any;
    let wrappedName: string | undefined;
    if (any.type_url === RESOURCE_WRAPPER) {
      const wrapper = this.root.lookupType('envoy.service.discovery.v3.Resource').decode(any.value) as unknown as { name: string; resource?: { type_url: string; value: Uint8Array } };
      if (!wrapper.resource) throw new ProtoDecodeError(`a Resource named '${wrapper.name}' carries no resource`);
      inner = wrapper.resource;
      wrappedName = wrapper.name || undefined;
    }
    const body = this.decodeBody(inner, typeUrl);
    return { name: wrappedName ?? resourceName(body), body };
  }

  private decodeBody(any: AnyMessage, typeUrl: string): Record<string, unknown> {
    if (any.type_url !== typeUrl) {
      throw new ProtoDecodeError(`type URL ${any.type_url} embedded in an individual Any does not match the message-wide type URL ${typeUrl} in DiscoveryResponse`);
    }
    return anyToProto3Json(this.root, any.type_url, any.value);
  }
}

/** The name a resource goes by: `cluster_name` for endpoints, `name` for the rest. */
function resourceName(body: Readonly<Record<string, unknown>>): string {
  return String(body['cluster_name'] ?? body['name'] ?? '');
}

/** The bootstrap's `node`, as Envoy sends it: with its user agent and build version. */
function nodeMessage(node: NodeConfig): Record<string, unknown> {
  return {
    ...(node.id !== undefined ? { id: node.id } : {}),
    ...(node.cluster !== undefined ? { cluster: node.cluster } : {}),
    ...(node.metadata ? { metadata: structMessage(node.metadata) } : {}),
    ...(node.locality ? { locality: node.locality } : {}),
    user_agent_name: node.user_agent_name ?? 'envoy',
    user_agent_build_version: { version: { major_number: 1, minor_number: 40, patch: 0 }, metadata: structMessage({ 'nodevoy.implementation': 'nodevoy' }) },
    client_features: [...(node.client_features ?? [])],
  };
}

/** Plain JSON as a `google.protobuf.Struct` message (protobufjs bundles struct.proto with camelCase names). */
function structMessage(json: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { fields: Object.fromEntries(Object.entries(json).map(([key, value]) => [key, valueMessage(value)])) };
}

function valueMessage(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return { nullValue: 0 };
  if (Array.isArray(value)) return { listValue: { values: value.map(valueMessage) } };
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'number':
      return { numberValue: value };
    case 'boolean':
      return { boolValue: value };
    default:
      return { structValue: structMessage(value as Record<string, unknown>) };
  }
}

