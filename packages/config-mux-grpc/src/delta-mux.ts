import type { ApiConfigSourceConfig, Logger, ServerContext, XdsResource, XdsWatch, XdsWatchCallbacks } from '@nodevoy/core';
import { GrpcMuxBase, type Watch, type WatchedType } from './grpc-mux-base.js';
import type { XdsStream } from './xds-stream.js';

/** What the mux has of one resource type, by name, and which names the current stream asked for. */
interface DeltaTypeState extends WatchedType {
  resources: Map<string, { readonly version: string; readonly resource: XdsResource }>;
  subscribed: Set<string>;
}

/**
 * Incremental xDS over gRPC, as Envoy's `NewGrpcMuxImpl`: a stream subscribes to names (none:
 * every resource of the type) and unsubscribes as watches come and go; each response adds,
 * changes and removes resources by name, and is ACKed by its nonce or NACKed with the reason while
 * what nodevoy has stays. On a new stream the node goes on the first request, and every type is
 * asked again with the versions nodevoy has, so the server sends only what changed. Watches see
 * the whole set of their type (their names' resources), as with state of the world.
 */
export class DeltaGrpcMux extends GrpcMuxBase<DeltaTypeState> {
  constructor(source: ApiConfigSourceConfig, server: ServerContext, aggregated: boolean, log: Logger) {
    super(source, server, aggregated, 'delta', log);
  }

  watch(typeUrl: string, names: readonly string[], callbacks: XdsWatchCallbacks): XdsWatch {
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = { typeUrl, watches: new Set(), resources: new Map(), subscribed: new Set() }));
    const owner = state;
    const watch: Watch = { names: new Set(names), callbacks };
    const firstWatch = owner.watches.size === 0;
    owner.watches.add(watch);
    const stream = this.streamFor(typeUrl);
    stream.start();
    const known = [...owner.resources.values()].map((r) => r.resource).filter((r) => names.length === 0 || watch.names.has(r.name));
    if (firstWatch) this.sendRequest(stream, owner, { subscribe: names, initial: true });
    else this.updateSubscription(stream, owner);
    if (known.length > 0) this.deliverKnown(owner, watch, known, '');
    return {
      cancel: () => {
        if (owner.watches.delete(watch)) this.updateSubscription(this.streamFor(typeUrl), owner);
      },
    };
  }

  /** A new stream: every type is asked again, with what nodevoy has of it. */
  onOpen(stream: XdsStream): void {
    for (const state of this.typesOf(stream)) {
      const { wildcard, names } = GrpcMuxBase.wantedNames(state);
      state.subscribed = new Set();
      this.sendRequest(stream, state, { subscribe: wildcard ? [] : [...names], initial: true });
    }
  }

  onMessage(stream: XdsStream, bytes: Buffer): void {
    const response = this.decoded(() => this.codec.decodeDeltaResponse(bytes), 'DeltaDiscoveryResponse');
    const state = response && this.watchedType(response.typeUrl);
    if (!response || !state) return;
    const next = new Map(state.resources);
    const changed = new Set<string>(response.removed);
    for (const name of response.removed) next.delete(name);
    try {
      for (const entry of response.resources) {
        if (!entry.resource) continue; // a heartbeat: the resource is unchanged
        next.set(entry.name, { version: entry.version, resource: this.codec.decodeDeltaResource(entry.name, entry.version, entry.resource, response.typeUrl) });
        changed.add(entry.name);
      }
    } catch (err) {
      this.nack(stream, state, response.nonce, err);
      return;
    }
    let rejection: unknown;
    for (const watch of [...state.watches]) {
      const wildcard = watch.names.size === 0;
      if (!wildcard && ![...watch.names].some((name) => changed.has(name))) continue;
      const mine = [...next.values()].map((r) => r.resource).filter((r) => wildcard || watch.names.has(r.name));
      try {
        watch.callbacks.onUpdate(mine, response.systemVersionInfo);
      } catch (err) {
        rejection ??= err;
      }
    }
    if (rejection !== undefined) {
      this.nack(stream, state, response.nonce, rejection);
      return;
    }
    state.resources = next;
    this.sendRequest(stream, state, { nonce: response.nonce });
  }

  /** Subscribes to names a watch now wants and unsubscribes from those none wants any more. */
  private updateSubscription(stream: XdsStream, state: DeltaTypeState): void {
    const { wildcard, names } = GrpcMuxBase.wantedNames(state);
    if (wildcard) return;
    const subscribe = [...names].filter((name) => !state.subscribed.has(name));
    const unsubscribe = [...state.subscribed].filter((name) => !names.has(name));
    if (subscribe.length > 0 || unsubscribe.length > 0) this.sendRequest(stream, state, { subscribe, unsubscribe });
  }

  private sendRequest(
    stream: XdsStream,
    state: DeltaTypeState,
    request: { subscribe?: readonly string[]; unsubscribe?: readonly string[]; initial?: boolean; nonce?: string; errorDetail?: string },
  ): void {
    if (!stream.isConnected) return;
    for (const name of request.subscribe ?? []) state.subscribed.add(name);
    for (const name of request.unsubscribe ?? []) state.subscribed.delete(name);
    const initialResourceVersions = request.initial ? Object.fromEntries([...state.resources].map(([name, r]) => [name, r.version])) : {};
    stream.write(
      this.codec.encodeDeltaRequest({
        node: stream.isFirstMessage() ? this.node : undefined,
        typeUrl: state.typeUrl,
        subscribe: request.subscribe ?? [],
        unsubscribe: request.unsubscribe ?? [],
        initialResourceVersions,
        responseNonce: request.nonce ?? '',
        ...(request.errorDetail !== undefined ? { errorDetail: request.errorDetail } : {}),
      }),
    );
  }

  private nack(stream: XdsStream, state: DeltaTypeState, nonce: string, err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    this.logger.warn(`xDS: rejecting ${state.typeUrl} update: ${detail}`);
    this.sendRequest(stream, state, { nonce, errorDetail: detail });
  }
}
