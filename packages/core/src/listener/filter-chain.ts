import type { FilterChainConfig } from '../config/envoy/listener.js';
import type { ExtensionEntry } from '../config/schema/extension-entry.js';
import type { FilterManager } from '../network/filter.js';
import type { Connection } from '../network/connection.js';
import type { DownstreamTransportSocket, NetworkFilterFactory, NetworkFilterFactoryCb, TransportSocketFactory } from '../registry/types.js';
import type { FilterFactoryContext } from '../server/context.js';

/** A filter chain ready to serve connections: the filter factories and transport socket. */
export interface FilterChain {
  readonly name: string;
  readonly factories: readonly NetworkFilterFactoryCb[];
  readonly transportSocket: DownstreamTransportSocket | undefined;
  /** `transport_socket_connect_timeout` in ms (0: none): how long the transport may negotiate. */
  readonly transportSocketConnectTimeoutMs: number;
}

/**
 * Builds a chain from config, with Envoy's rules: a terminal filter must be last, and the last
 * filter must be terminal (`filters: []` is allowed; its connections are closed at once).
 */
export function buildFilterChain(config: FilterChainConfig, context: FilterFactoryContext): FilterChain {
  const filters: readonly ExtensionEntry[] = config.filters ?? [];
  const factories: NetworkFilterFactoryCb[] = [];
  filters.forEach((entry, i) => {
    const factory = entry.typed.target as NetworkFilterFactory;
    const last = i === filters.length - 1;
    if (factory.isTerminalFilter && !last) {
      context.server.configIssue(entry, undefined, `Error: terminal filter named ${entry.name} of type ${factory.name} must be the last filter in a network filter chain.`);
    } else if (!factory.isTerminalFilter && last) {
      context.server.configIssue(entry, undefined, `Error: non-terminal filter named ${entry.name} of type ${factory.name} is the last filter in a network filter chain.`);
    }
    factories.push(factory.createFilterFactory(entry.typed.config, context));
  });
  let transportSocket: DownstreamTransportSocket | undefined;
  if (config.transport_socket) {
    const factory = config.transport_socket.typed.target as TransportSocketFactory;
    if (factory.createDownstream) transportSocket = factory.createDownstream(config.transport_socket.typed.config, context);
    else context.server.configIssue(config.transport_socket, undefined, `${factory.name} cannot be used as a downstream transport socket`);
  }
  return { name: config.name ?? '', factories, transportSocket, transportSocketConnectTimeoutMs: config.transport_socket_connect_timeout ?? 0 };
}

/** The filter manager view a filter factory callback gets for one new connection. */
export function filterManagerFor(connection: Connection): FilterManager {
  return {
    connection,
    addReadFilter: (filter) => connection.addReadFilter(filter),
    addWriteFilter: (filter) => connection.addWriteFilter(filter),
    addFilter: (filter) => connection.addFilter(filter),
  };
}
