import * as grpc from '@grpc/grpc-js';
import { XdsTypeUrl, type ApiConfigSourceConfig, type Gauge, type Logger, type NodeConfig, type ServerContext, type XdsMux, type XdsResource, type XdsWatch, type XdsWatchCallbacks } from '@nodevoy/core';
import { DiscoveryCodec, type DiscoveryResponseFields } from './discovery-messages.js';
import { grpcTarget } from './grpc-target.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

const ADS_METHOD = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

/** The per-type discovery service method, when the source is not aggregated. */
const TYPE_METHODS: Readonly<Record<string, string>> = {
  [XdsTypeUrl.listener]: '/envoy.service.listener.v3.ListenerDiscoveryService/StreamListeners',
  [XdsTypeUrl.cluster]: '/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters',
  [XdsTypeUrl.endpoint]: '/envoy.service.endpoint.v3.EndpointDiscoveryService/StreamEndpoints',
  [XdsTypeUrl.route]: '/envoy.service.route.v3.RouteDiscoveryService/StreamRoutes',
};

/** How long a connect attempt waits for the channel before it counts as a failure. */
const CONNECT_TIMEOUT_MS = 5_000;

interface Watch {
  readonly names: ReadonlySet<string>;
  readonly callbacks: XdsWatchCallbacks;
}

/**
 * What the mux knows of one resource type: its watches, the version it accepted, the last nonce,
 * and the resources it accepted (a watch added later gets them at once: the server will not send
 * them again until they change).
 */
interface TypeState {
  readonly typeUrl: string;
  readonly watches: Set<Watch>;
  version: string;
  nonce: string;
  accepted: Map<string, XdsResource>;
}

/**
 * xDS state of the world over gRPC, as Envoy's `GrpcMuxImpl`: one stream for every type (ADS) or
 * one per type, a request per type with the version it accepted and the nonce it answers; an
 * update a watch rejects is NACKed with the previous version and the watch's reason as
 * `error_detail`. A lost stream is opened again after a jittered back-off, and every type is
 * asked again with its version (no nonce), so the server can tell what nodevoy has.
 */
export class SotwGrpcMux implements XdsMux {
  private readonly codec = new DiscoveryCodec();
  private readonly types = new Map<string, TypeState>();
  private readonly streams = new Map<string, MuxStream>();
  private readonly connectedState: Gauge;
  private stopped = false;

  constructor(
    private readonly source: ApiConfigSourceConfig,
    private readonly server: ServerContext,
    private readonly aggregated: boolean,
    private readonly log: Logger,
  ) {
    this.connectedState = server.stats.gauge('control_plane.connected_state');
  }

  watch(typeUrl: string, names: readonly string[], callbacks: XdsWatchCallbacks): XdsWatch {
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = { typeUrl, watches: new Set(), version: '', nonce: '', accepted: new Map() }));
    const watch: Watch = { names: new Set(names), callbacks };
    const owner = state;
    const known = names.length === 0 ? [...state.accepted.values()] : names.flatMap((name) => owner.accepted.get(name) ?? []);
    const alreadyAsked = names.length > 0 && names.every((name) => [...owner.watches].some((w) => w.names.has(name)));
    state.watches.add(watch);
    const stream = this.streamFor(typeUrl);
    stream.start();
    if (!alreadyAsked || known.length === 0) stream.sendRequest(state);
    if (known.length > 0) this.deliverKnown(owner, watch, known);
    return {
      cancel: () => {
        if (!owner.watches.delete(watch)) return;
        if (owner.watches.size > 0) this.streamFor(typeUrl).sendRequest(owner);
      },
    };
  }

  stop(): void {
    this.stopped = true;
    for (const stream of this.streams.values()) stream.stop();
    this.connectedState.set(0);
  }

  private streamFor(typeUrl: string): MuxStream {
    const method = this.aggregated ? ADS_METHOD : (TYPE_METHODS[typeUrl] ?? ADS_METHOD);
    let stream = this.streams.get(method);
    if (!stream) this.streams.set(method, (stream = new MuxStream(this, method)));
    return stream;
  }

  // What MuxStream needs of its mux.

  get isStopped(): boolean {
    return this.stopped;
  }

  get node(): NodeConfig | undefined {
    return this.server.bootstrap.node;
  }

  get nodeOnFirstMessageOnly(): boolean {
    return this.source.set_node_on_first_message_only ?? false;
  }

  get discovery(): DiscoveryCodec {
    return this.codec;
  }

  get logger(): Logger {
    return this.log;
  }

  /** The types a stream carries, in the order they were first watched (CDS before LDS, as Envoy). */
  typesOf(stream: MuxStream): TypeState[] {
    return [...this.types.values()].filter((state) => this.streamFor(state.typeUrl) === stream && state.watches.size > 0);
  }

  target(): ReturnType<typeof grpcTarget> {
    const service = this.source.grpc_services?.[0];
    if (!service) return { problem: 'api_config_source has no grpc_services' };
    return grpcTarget(service, this.server);
  }

  initialMetadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    for (const header of this.source.grpc_services?.[0]?.initial_metadata ?? []) metadata.add(header.key, header.value ?? '');
    return metadata;
  }

  setConnected(connected: boolean): void {
    const anyConnected = connected || [...this.streams.values()].some((s) => s.isConnected);
    this.connectedState.set(anyConnected ? 1 : 0);
  }

  /** The stream is down: every watch hears of it (counted as update_failure; ends an initial fetch). */
  connectionFailed(stream: MuxStream): void {
    for (const state of this.typesOf(stream)) for (const watch of [...state.watches]) watch.callbacks.onFailure('connection_failure');
  }

  onResponse(stream: MuxStream, response: DiscoveryResponseFields): void {
    const state = this.types.get(response.typeUrl);
    if (!state || state.watches.size === 0) {
      this.log.warn(`xDS: ignoring a response for ${response.typeUrl}, which nothing watches`);
      return;
    }
    state.nonce = response.nonce;
    let resources: XdsResource[];
    try {
      resources = response.resources.map((any) => this.codec.decodeResource(any, response.typeUrl));
    } catch (err) {
      this.reject(stream, state, err);
      return;
    }
    let rejection: unknown;
    for (const watch of [...state.watches]) {
      const wildcard = watch.names.size === 0;
      const mine = wildcard ? resources : resources.filter((r) => watch.names.has(r.name));
      // Named watches (endpoints, routes) hear only of updates that carry their resources.
      if (!wildcard && mine.length === 0) continue;
      try {
        watch.callbacks.onUpdate(mine, response.versionInfo);
      } catch (err) {
        rejection ??= err;
      }
    }
    if (rejection !== undefined) {
      this.reject(stream, state, rejection);
      return;
    }
    state.version = response.versionInfo;
    // A wildcard type's response is the whole set; a named type's adds to what came before.
    if ([...state.watches].some((w) => w.names.size === 0)) state.accepted = new Map();
    for (const resource of resources) state.accepted.set(resource.name, resource);
    stream.sendRequest(state);
  }

  /** Gives a new watch what the mux already accepted for it, after the caller's own work. */
  private deliverKnown(state: TypeState, watch: Watch, resources: readonly XdsResource[]): void {
    queueMicrotask(() => {
      if (!state.watches.has(watch)) return;
      try {
        watch.callbacks.onUpdate(resources, state.version);
      } catch (err) {
        this.log.warn(`xDS: a ${state.typeUrl} resource already accepted is refused by a new watch: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  private reject(stream: MuxStream, state: TypeState, err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    this.log.warn(`xDS: rejecting ${state.typeUrl} update: ${detail}`);
    stream.sendRequest(state, detail);
  }
}

/** One gRPC stream of the mux, opened again after a back-off whenever it is lost. */
class MuxStream {
  private client: grpc.Client | undefined;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
  private connected = false;
  private sentNode = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new ReconnectBackoff();

  constructor(
    private readonly mux: SotwGrpcMux,
    private readonly method: string,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  /** Opens the stream if it is not open or on its way. */
  start(): void {
    if (this.client || this.retryTimer || this.mux.isStopped) return;
    const target = this.mux.target();
    if ('problem' in target) {
      this.failed(target.problem);
      return;
    }
    const client = new grpc.Client(target.target, grpc.credentials.createInsecure(), { 'grpc.default_authority': target.authority });
    this.client = client;
    client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (err) => {
      if (this.client !== client) return;
      if (err) {
        this.failed(`cannot connect to ${target.target}: ${err.message}`);
        return;
      }
      this.open(client);
    });
  }

  sendRequest(state: TypeState, errorDetail?: string): void {
    const call = this.call;
    if (!call || !this.connected) return;
    const names = new Set<string>();
    let wildcard = false;
    for (const watch of state.watches) {
      if (watch.names.size === 0) wildcard = true;
      for (const name of watch.names) names.add(name);
    }
    const withNode = !this.mux.nodeOnFirstMessageOnly || !this.sentNode;
    this.sentNode = true;
    call.write(
      this.mux.discovery.encodeRequest({
        versionInfo: state.version,
        node: withNode ? this.mux.node : undefined,
        resourceNames: wildcard ? [] : [...names],
        typeUrl: state.typeUrl,
        responseNonce: state.nonce,
        ...(errorDetail !== undefined ? { errorDetail } : {}),
      }),
    );
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.close();
  }

  private open(client: grpc.Client): void {
    const call = client.makeBidiStreamRequest(this.method, (b: Buffer) => b, (b: Buffer) => b, this.mux.initialMetadata());
    this.call = call;
    this.connected = true;
    this.sentNode = false;
    this.mux.setConnected(true);
    this.mux.logger.info(`xDS: stream ${this.method} established`);
    call.on('data', (bytes: Buffer) => {
      this.backoff.reset();
      let response;
      try {
        response = this.mux.discovery.decodeResponse(bytes);
      } catch (err) {
        this.mux.logger.warn(`xDS: undecodable DiscoveryResponse: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      this.mux.onResponse(this, response);
    });
    call.on('error', (err: grpc.ServiceError) => this.lost(call, `${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
    call.on('end', () => this.lost(call, 'closed by the management server'));
    // A new stream: every type is asked again, with the version it has and no nonce.
    for (const state of this.mux.typesOf(this)) {
      state.nonce = '';
      this.sendRequest(state);
    }
  }

  private lost(call: grpc.ClientDuplexStream<Buffer, Buffer>, reason: string): void {
    if (this.call !== call) return;
    this.failed(`stream ${this.method} lost: ${reason}`);
  }

  private failed(reason: string): void {
    this.close();
    if (this.mux.isStopped) return;
    this.mux.logger.warn(`xDS: ${reason}`);
    this.mux.connectionFailed(this);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, this.backoff.next());
    this.retryTimer.unref();
  }

  private close(): void {
    const { call, client } = this;
    this.call = undefined;
    this.client = undefined;
    if (this.connected) {
      this.connected = false;
      this.mux.setConnected(false);
    }
    if (call) {
      call.removeAllListeners('data');
      call.on('error', () => {}); // cancelling reports CANCELLED: already handled
      call.cancel();
    }
    client?.close();
  }
}
