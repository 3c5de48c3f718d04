import { Category, type Connection, type Counter, type Gauge, type NetworkFilterFactory, type ReadFilter, type ReadFilterCallbacks, type ServerContext } from '@nodevoy/core';
import type { AuthzClient, PendingCheck } from './authz-client.js';
import { connectionAttributes, type AttributeContext } from './check-request.js';
import { networkExtAuthzSchema, type NetworkExtAuthzConfig } from './config.js';
import { GrpcAuthzClient } from './grpc-authz-client.js';

const COUNTERS = ['total', 'ok', 'denied', 'error', 'disabled', 'failure_mode_allowed', 'cx_closed'] as const;
type NetworkExtAuthzStats = Record<(typeof COUNTERS)[number], Counter> & { readonly active: Gauge };

interface NetworkExtAuthzSettings {
  readonly config: NetworkExtAuthzConfig;
  readonly client: AuthzClient;
  readonly stats: NetworkExtAuthzStats;
  readonly server: ServerContext;
}

/**
 * `envoy.filters.network.ext_authz` on one connection: when its first bytes arrive, a gRPC
 * authorization service checks its peers (addresses, TLS principals); reading waits meanwhile
 * and the bytes are held. Allowed (or a failed check with `failure_mode_allow`), they go on;
 * otherwise the connection is closed (UAEX).
 */
class NetworkExtAuthzFilter implements ReadFilter {
  private callbacks!: ReadFilterCallbacks;
  private state: 'not_started' | 'calling' | 'allowed' | 'closed' = 'not_started';
  private pending: PendingCheck | undefined;
  private readonly held: { readonly data: Buffer; readonly endStream: boolean }[] = [];

  constructor(
    private readonly connection: Connection,
    private readonly settings: NetworkExtAuthzSettings,
  ) {
    connection.addConnectionCallbacks({
      onEvent: (event) => {
        if (event === 'Connected' || this.state !== 'calling') return;
        this.state = 'closed';
        this.pending?.cancel();
        settings.stats.active.dec();
      },
    });
  }

  initializeReadFilterCallbacks(callbacks: ReadFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  onData(data: Buffer, endStream: boolean): 'continue' | 'stop' {
    if (this.state === 'allowed') return 'continue';
    if (this.state === 'closed') return 'stop';
    this.held.push({ data, endStream });
    if (this.state === 'not_started') this.check();
    return 'stop';
  }

  private check(): void {
    const { stats, config, server } = this.settings;
    const connection = this.connection;
    this.state = 'calling';
    stats.total.inc();
    stats.active.inc();
    connection.readDisable(true);
    const attributes: AttributeContext = {
      ...connectionAttributes({
        remoteAddress: connection.remoteAddress,
        localAddress: connection.localAddress,
        ssl: connection.ssl,
        includePeerCertificate: config.include_peer_certificate ?? false,
        includeTlsSession: config.include_tls_session ?? false,
      }),
      context_extensions: {},
      metadata_context: { filter_metadata: {} },
    };
    const pending = this.settings.client.check(attributes, { server, worker: connection.worker, requester: connection.info, formatContext: undefined });
    this.pending = pending;
    void pending.result.then((response) => {
      if (this.state !== 'calling') return;
      this.pending = undefined;
      stats.active.dec();
      stats[response.status].inc();
      if (response.status === 'ok') return this.resume();
      if (response.status === 'error' && config.failure_mode_allow) {
        stats.failure_mode_allowed.inc();
        return this.resume();
      }
      this.state = 'closed';
      stats.cx_closed.inc();
      connection.info.responseFlags.set('UAEX');
      connection.close('NoFlush', 'ext_authz_close');
    });
  }

  private resume(): void {
    this.state = 'allowed';
    this.connection.readDisable(false);
    for (const { data, endStream } of this.held.splice(0)) this.callbacks.injectReadDataToFilterChain(data, endStream);
  }
}

/** `envoy.filters.network.ext_authz`, with `ext_authz.<stat_prefix>.*` stats as Envoy's. */
export const networkExtAuthz: NetworkFilterFactory<NetworkExtAuthzConfig> = {
  name: 'envoy.filters.network.ext_authz',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz'],
  configSchema: networkExtAuthzSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const server = context.server;
    const scope = server.stats.scope(`ext_authz.${config.stat_prefix}.`);
    const stats = { ...Object.fromEntries(COUNTERS.map((name) => [name, scope.counter(name)])), active: scope.gauge('active') } as NetworkExtAuthzStats;
    const settings: NetworkExtAuthzSettings = { config, client: new GrpcAuthzClient(config.grpc_service, server), stats, server };
    return (filterManager) => filterManager.addReadFilter(new NetworkExtAuthzFilter(filterManager.connection, settings));
  },
};
