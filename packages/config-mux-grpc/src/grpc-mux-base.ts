import type * as grpc from '@grpc/grpc-js';
import { XdsTypeUrl, type ApiConfigSourceConfig, type Gauge, type Logger, type NodeConfig, type ServerContext, type XdsMux, type XdsResource, type XdsWatch, type XdsWatchCallbacks } from '@nodevoy/core';
import { DiscoveryCodec } from './discovery-messages.js';
import { grpcTarget, type GrpcTarget } from './grpc-target.js';
import { grpcJs } from './lazy-modules.js';
import { XdsStream, type XdsStreamOwner } from './xds-stream.js';

/** The per-type discovery service method, when the source is not aggregated. */
const TYPE_METHODS: Readonly<Record<string, { readonly sotw: string; readonly delta: string }>> = {
  [XdsTypeUrl.listener]: { sotw: '/envoy.service.listener.v3.ListenerDiscoveryService/StreamListeners', delta: '/envoy.service.listener.v3.ListenerDiscoveryService/DeltaListeners' },
  [XdsTypeUrl.cluster]: { sotw: '/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters', delta: '/envoy.service.cluster.v3.ClusterDiscoveryService/DeltaClusters' },
  [XdsTypeUrl.endpoint]: { sotw: '/envoy.service.endpoint.v3.EndpointDiscoveryService/StreamEndpoints', delta: '/envoy.service.endpoint.v3.EndpointDiscoveryService/DeltaEndpoints' },
  [XdsTypeUrl.route]: { sotw: '/envoy.service.route.v3.RouteDiscoveryService/StreamRoutes', delta: '/envoy.service.route.v3.RouteDiscoveryService/DeltaRoutes' },
};
const ADS_METHODS = {
  sotw: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  delta: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
};

export interface Watch {
  readonly names: ReadonlySet<string>;
  readonly callbacks: XdsWatchCallbacks;
}

/** What both protocols keep per resource type: who watches which names. */
export interface WatchedType {
  readonly typeUrl: string;
  readonly watches: Set<Watch>;
}

/**
 * What the state-of-the-world and delta muxes share: their streams (one for every type with
 * ADS, else one per type), the management server they reach, `control_plane.connected_state`,
 * and telling watches that a stream was lost.
 */
export abstract class GrpcMuxBase<S extends WatchedType> implements XdsMux, XdsStreamOwner {
  protected readonly codec = new DiscoveryCodec();
  protected readonly types = new Map<string, S>();
  private readonly streams = new Map<string, XdsStream>();
  private readonly connectedState: Gauge;
  private stopped = false;

  constructor(
    private readonly source: ApiConfigSourceConfig,
    private readonly server: ServerContext,
    private readonly aggregated: boolean,
    private readonly protocol: 'sotw' | 'delta',
    readonly logger: Logger,
  ) {
    this.connectedState = server.stats.gauge('control_plane.connected_state');
  }

  abstract watch(typeUrl: string, names: readonly string[], callbacks: XdsWatchCallbacks): XdsWatch;
  abstract onOpen(stream: XdsStream): void;
  abstract onMessage(stream: XdsStream, bytes: Buffer): void;

  stop(): void {
    this.stopped = true;
    for (const stream of this.streams.values()) stream.stop();
    this.connectedState.set(0);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  target(): GrpcTarget {
    const service = this.source.grpc_services?.[0];
    if (!service) return { problem: 'api_config_source has no grpc_services' };
    return grpcTarget(service, this.server);
  }

  initialMetadata(): grpc.Metadata {
    const metadata = new (grpcJs().Metadata)();
    for (const header of this.source.grpc_services?.[0]?.initial_metadata ?? []) metadata.add(header.key, header.value ?? '');
    return metadata;
  }

  connectionChanged(): void {
    this.connectedState.set([...this.streams.values()].some((s) => s.isConnected) ? 1 : 0);
  }

  /** Every watch of the stream's types hears of it (counted as update_failure; ends an initial fetch). */
  onLost(stream: XdsStream): void {
    for (const state of this.typesOf(stream)) for (const watch of [...state.watches]) watch.callbacks.onFailure('connection_failure');
  }

  /**
   * Gives a new watch what the mux already accepted for it (the server will not send it again
   * until it changes), after the caller's own work, as a response would come.
   */
  protected deliverKnown(state: WatchedType, watch: Watch, resources: readonly XdsResource[], version: string): void {
    queueMicrotask(() => {
      if (!state.watches.has(watch)) return;
      try {
        watch.callbacks.onUpdate(resources, version);
      } catch (err) {
        this.logger.warn(`xDS: a ${state.typeUrl} resource already accepted is refused by a new watch: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  /** The state of a response's type, or undefined (logged) when nothing watches it. */
  protected watchedType(typeUrl: string): S | undefined {
    const state = this.types.get(typeUrl);
    if (state && state.watches.size > 0) return state;
    this.logger.warn(`xDS: ignoring a response for ${typeUrl}, which nothing watches`);
    return undefined;
  }

  /** Decodes a response, or undefined (logged) when it does not decode. */
  protected decoded<R>(decode: () => R, what: string): R | undefined {
    try {
      return decode();
    } catch (err) {
      this.logger.warn(`xDS: undecodable ${what}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  protected get node(): NodeConfig | undefined {
    return this.server.bootstrap.node;
  }

  protected get nodeOnFirstMessageOnly(): boolean {
    return this.source.set_node_on_first_message_only ?? false;
  }

  protected streamFor(typeUrl: string): XdsStream {
    const method = this.aggregated ? ADS_METHODS[this.protocol] : (TYPE_METHODS[typeUrl]?.[this.protocol] ?? ADS_METHODS[this.protocol]);
    let stream = this.streams.get(method);
    if (!stream) this.streams.set(method, (stream = new XdsStream(this, method)));
    return stream;
  }

  /** The types a stream carries, in the order they were first watched (CDS before LDS, as Envoy). */
  protected typesOf(stream: XdsStream): S[] {
    return [...this.types.values()].filter((state) => this.streamFor(state.typeUrl) === stream && state.watches.size > 0);
  }

  /** The names a type's watches want; empty when one of them wants every resource. */
  protected static wantedNames(state: WatchedType): { readonly wildcard: boolean; readonly names: ReadonlySet<string> } {
    const names = new Set<string>();
    let wildcard = false;
    for (const watch of state.watches) {
      if (watch.names.size === 0) wildcard = true;
      for (const name of watch.names) names.add(name);
    }
    return { wildcard, names };
  }
}
