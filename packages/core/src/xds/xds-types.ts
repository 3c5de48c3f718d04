import type { ApiConfigSourceConfig, ApiType } from '../config/envoy/config-source.js';
import { NodevoyError } from '../errors.js';
import type { ExtensionFactory } from '../registry/types.js';
import type { ServerContext } from '../server/context.js';

/** The `@type` URLs of the resources nodevoy takes from a management server. */
export const XdsTypeUrl = Object.freeze({
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
});

/** One resource as the management server sent it, in proto3 JSON (snake_case names, `@type` on each Any). */
export interface XdsResource {
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>>;
  /** Delta xDS: the resource's own version (state of the world versions whole responses). */
  readonly version?: string;
}

/**
 * What a watch is told. `onUpdate` gets the watched resources the server sent (all of them for a
 * wildcard watch: state of the world) and throws an XdsRejection to NACK them.
 */
export interface XdsWatchCallbacks {
  onUpdate(resources: readonly XdsResource[], version: string): void;
  /** The stream failed, or the first response did not come within `initial_fetch_timeout`. */
  onFailure(reason: 'connection_failure' | 'fetch_timeout'): void;
}

/** Thrown by a watch callback: the update is NACKed with this message as `error_detail`. */
export class XdsRejection extends NodevoyError {
  constructor(message: string) {
    super('ERR_NODEVOY_XDS_REJECTED', message);
  }
}

export interface XdsWatch {
  cancel(): void;
}

/** One stream to a management server, carrying the watches of one or (ADS) every resource type. */
export interface XdsMux {
  /** `names` empty: every resource of the type (wildcard), as for listeners and clusters. */
  watch(typeUrl: string, names: readonly string[], callbacks: XdsWatchCallbacks): XdsWatch;
  stop(): void;
}

export interface XdsMuxContext {
  readonly server: ServerContext;
  /** The bootstrap's `ads_config`: one stream carries every resource type. */
  readonly aggregated: boolean;
}

/** A transport for xDS (`envoy.config_mux.*`): state of the world or delta over gRPC. */
export interface XdsMuxFactory extends ExtensionFactory {
  readonly apiTypes: readonly ApiType[];
  createMux(source: ApiConfigSourceConfig, context: XdsMuxContext): XdsMux;
}
