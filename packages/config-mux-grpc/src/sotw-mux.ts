import type { ApiConfigSourceConfig, Logger, ServerContext, XdsResource, XdsWatch, XdsWatchCallbacks } from '@nodevoy/core';
import { GrpcMuxBase, type Watch, type WatchedType } from './grpc-mux-base.js';
import type { XdsStream } from './xds-stream.js';

/**
 * What the mux knows of one resource type: its watches, the version it accepted, the last nonce,
 * and the resources it accepted (a watch added later gets them at once: the server will not send
 * them again until they change).
 */
interface TypeState extends WatchedType {
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
export class SotwGrpcMux extends GrpcMuxBase<TypeState> {
  constructor(source: ApiConfigSourceConfig, server: ServerContext, aggregated: boolean, log: Logger) {
    super(source, server, aggregated, 'sotw', log);
  }

  watch(typeUrl: string, names: readonly string[], callbacks: XdsWatchCallbacks): XdsWatch {
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = { typeUrl, watches: new Set(), version: '', nonce: '', accepted: new Map() }));
    const owner = state;
    const watch: Watch = { names: new Set(names), callbacks };
    const known = names.length === 0 ? [...owner.accepted.values()] : names.flatMap((name) => owner.accepted.get(name) ?? []);
    const alreadyAsked = names.length > 0 && names.every((name) => [...owner.watches].some((w) => w.names.has(name)));
    owner.watches.add(watch);
    const stream = this.streamFor(typeUrl);
    stream.start();
    if (!alreadyAsked || known.length === 0) this.sendRequest(stream, owner);
    if (known.length > 0) this.deliverKnown(owner, watch, known, owner.version);
    return {
      cancel: () => {
        if (!owner.watches.delete(watch)) return;
        if (owner.watches.size > 0) this.sendRequest(this.streamFor(typeUrl), owner);
      },
    };
  }

  /** A new stream: every type is asked again, with the version it has and no nonce. */
  onOpen(stream: XdsStream): void {
    for (const state of this.typesOf(stream)) {
      state.nonce = '';
      this.sendRequest(stream, state);
    }
  }

  onMessage(stream: XdsStream, bytes: Buffer): void {
    const response = this.decoded(() => this.codec.decodeResponse(bytes), 'DiscoveryResponse');
    const state = response && this.watchedType(response.typeUrl);
    if (!response || !state) return;
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
    this.sendRequest(stream, state);
  }

  private sendRequest(stream: XdsStream, state: TypeState, errorDetail?: string): void {
    const { wildcard, names } = GrpcMuxBase.wantedNames(state);
    const withNode = !this.nodeOnFirstMessageOnly || stream.isFirstMessage();
    stream.write(
      this.codec.encodeRequest({
        versionInfo: state.version,
        node: withNode ? this.node : undefined,
        resourceNames: wildcard ? [] : [...names],
        typeUrl: state.typeUrl,
        responseNonce: state.nonce,
        ...(errorDetail !== undefined ? { errorDetail } : {}),
      }),
    );
  }

  private reject(stream: XdsStream, state: TypeState, err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    this.logger.warn(`xDS: rejecting ${state.typeUrl} update: ${detail}`);
    this.sendRequest(stream, state, detail);
  }
}
