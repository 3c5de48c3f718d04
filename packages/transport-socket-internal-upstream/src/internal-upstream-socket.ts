import type { Counter, IoHandle, PassthroughBundle, RequestPassthroughSource, UpstreamSocketContext, UpstreamTransportSocket } from '@nodevoy/core';
import type { MetadataSource } from './config.js';

type Metadata = Readonly<Record<string, Record<string, unknown>>>;

/**
 * Wraps the configured inner transport socket and fills the in-process pair's passthrough
 * state, as Envoy's: per connection, the `host` and `cluster` metadata namespaces and the
 * downstream's filter state objects shared with upstream. Per request (nodevoy's addition),
 * the `request` and `route` namespaces and the request's shared filter state.
 */
export class InternalUpstreamSocket implements UpstreamTransportSocket {
  private readonly connectionSources: readonly MetadataSource[];
  private readonly requestSources: readonly MetadataSource[];

  constructor(
    private readonly inner: UpstreamTransportSocket,
    sources: readonly MetadataSource[],
    private readonly noMetadata: Counter,
  ) {
    this.connectionSources = sources.filter((s) => s.kind === 'host' || s.kind === 'cluster');
    this.requestSources = sources.filter((s) => s.kind === 'request' || s.kind === 'route');
  }

  get supportsAlpn(): boolean {
    return this.inner.supportsAlpn ?? false;
  }

  wrap(io: IoHandle, context: UpstreamSocketContext): IoHandle {
    const wrapped = this.inner.wrap(io, context);
    // A kernel socket has no passthrough state: nothing to pass, as in Envoy.
    io.passthroughState?.initialize({
      metadata: this.collect(this.connectionSources, (source) =>
        source.kind === 'host' ? context.host?.metadata[source.name] : context.host?.clusterMetadata[source.name],
      ),
      filterState: context.sharedFilterState ?? [],
    });
    return wrapped;
  }

  requestPassthrough(request: RequestPassthroughSource): PassthroughBundle | undefined {
    const metadata = this.collect(this.requestSources, (source) =>
      source.kind === 'request' ? request.dynamicMetadata.get(source.name) : request.routeMetadata[source.name],
    );
    const filterState = request.filterState.sharedWithUpstream();
    if (Object.keys(metadata).length === 0 && filterState.length === 0) return undefined;
    return { metadata, filterState };
  }

  /** Whole namespaces, in config order (a later same name wins); each one missing counts `no_metadata`. */
  private collect(sources: readonly MetadataSource[], lookup: (source: MetadataSource) => Record<string, unknown> | undefined): Metadata {
    const metadata: Record<string, Record<string, unknown>> = {};
    for (const source of sources) {
      const values = lookup(source);
      if (values === undefined) this.noMetadata.inc();
      else metadata[source.name] = values;
    }
    return metadata;
  }
}
