import { createStatsSet, XDS_SUBSCRIPTIONS, XdsTypeUrl, type FilterFactoryContext, type XdsConfigSourceConfig, type XdsResource, type XdsSubscriptions } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import type { HcmUpgradeConfig } from '../config/hcm-config.js';
import { routeConfigurationSchema } from '../config/route-config.js';
import { RouteTable, type ResolvedRoute, type RouteResolver } from './route-table.js';

export interface RdsConfig {
  readonly config_source: XdsConfigSourceConfig;
  readonly route_config_name?: string;
}

/** Before the first route configuration: every request is a 404, as Envoy's empty config. */
const NO_ROUTES: RouteResolver = { resolve: () => undefined };

/**
 * Routes from RDS (`rds` in the connection manager): the route configuration named
 * `route_config_name`, watched on its config source. Until the first one arrives the listener
 * warms; after a failed or timed-out first fetch it serves with no routes. Each new version is
 * compiled beside the routes in use and replaces them for the requests after; unknown clusters
 * are allowed unless `validate_clusters` says otherwise, as Envoy's default for RDS.
 * `http.<prefix>.rds.<name>.*` counts the subscription and `config_reload`.
 */
export class RdsRoutes implements RouteResolver {
  private current = NO_ROUTES;
  private applied: string | undefined;

  constructor(
    private readonly rds: RdsConfig,
    private readonly upgrades: readonly HcmUpgradeConfig[],
    private readonly context: FilterFactoryContext,
    statsPrefix: string,
  ) {
    const { server, listenerScope } = context;
    const subscriptions = server.services.get(XDS_SUBSCRIPTIONS);
    if (!subscriptions || server.mode !== 'serve') return;
    const name = rds.route_config_name ?? '';
    const statsScope = server.stats.scope(`${statsPrefix}.rds.${name}`);
    const stats = createStatsSet(statsScope, { counters: ['config_reload'] as const });
    let warmed: () => void = () => {};
    listenerScope?.addInitTarget(new Promise((resolve) => (warmed = resolve)));
    const watch = subscriptions.subscribe(rds.config_source, XdsTypeUrl.route, [name], statsScope, {
      onUpdate: (resources) => {
        try {
          if (this.apply(subscriptions, resources.find((r) => r.name === name))) stats.config_reload.inc();
        } finally {
          warmed();
        }
      },
      onFailure: () => warmed(),
    });
    listenerScope?.onRemoved(() => watch.cancel());
  }

  resolve(headers: HeaderMap): ResolvedRoute | undefined {
    return this.current.resolve(headers);
  }

  /** Compiles a new route configuration; false when it is the one in use. */
  private apply(subscriptions: XdsSubscriptions, resource: XdsResource | undefined): boolean {
    if (!resource) return false;
    const sent = JSON.stringify(resource.body);
    if (sent === this.applied) return false;
    this.current = subscriptions.build(routeConfigurationSchema, resource, (config) => new RouteTable(config, this.upgrades, this.context, false));
    this.applied = sent;
    return true;
  }
}
