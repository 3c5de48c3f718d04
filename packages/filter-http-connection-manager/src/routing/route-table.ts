import { readFileSync } from 'node:fs';
import type { ConfigIssueReporter, FilterFactoryContext } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import type { HcmUpgradeConfig } from '../config/hcm-config.js';
import type { RouteActionConfig, RouteConfig, RouteConfigurationConfig, VirtualHostConfig } from '../config/route-config.js';
import { HeaderMutation } from '@nodevoy/http';
import { HashPolicy } from '../router/hash-policy.js';
import { PerFilterConfigs } from './per-filter-configs.js';
import { routeMatcher } from './route-matcher.js';
import { VirtualHostSelector } from './virtual-hosts.js';

/** The route a request matched, with what it takes to serve it. */
export interface ResolvedRoute {
  readonly name: string;
  readonly virtualHost: string;
  readonly virtualHostConfig: VirtualHostConfig;
  readonly config: RouteConfig;
  /** `route.route`, when the route forwards to a cluster. */
  readonly action: RouteActionConfig | undefined;
  /** Request header mutations, most specific first (route, virtual host, route configuration). */
  readonly requestMutations: readonly HeaderMutation[];
  readonly responseMutations: readonly HeaderMutation[];
  /** The route's `hash_policy`, for clusters that balance by hash (RING_HASH, MAGLEV). */
  readonly hashPolicy: HashPolicy | undefined;
  /** Picks the cluster for one request (`cluster`, `weighted_clusters`, `cluster_header`). */
  pickCluster(headers: HeaderMap): { readonly name: string; readonly request?: HeaderMutation; readonly response?: HeaderMutation } | undefined;
  /** Whether an upgrade (`CONNECT`, `websocket`) is enabled here, and whether to terminate CONNECT. */
  upgrade(type: string): { readonly allowed: boolean; readonly terminate: boolean; readonly allowPost: boolean };
  /** A `direct_response` body, read when the config loaded (a `filename` included). */
  readonly directResponseBody: string | undefined;
  /**
   * `typed_per_filter_config` for the HTTP filter named `filterName` (its name in `http_filters`),
   * compiled: the route configuration's, the virtual host's and the route's, least specific first.
   */
  perFilterConfigs(filterName: string): readonly unknown[];
  /** Whether the route (else its virtual host, else the route configuration) turns the filter off or on. */
  filterDisabled(filterName: string): boolean | undefined;
}

interface CompiledRoute {
  readonly matches: (headers: HeaderMap) => boolean;
  /** The route for one request (the same object but for a weighted cluster's pick). */
  readonly resolve: () => ResolvedRoute;
}

/** Where a connection manager finds the route of a request. */
export interface RouteResolver {
  /** The first route of the selected virtual host that matches, or undefined (a 404). */
  resolve(headers: HeaderMap): ResolvedRoute | undefined;
}

/** The per-filter lookups of a route, over its levels of `typed_per_filter_config`, least specific first. */
function filterLookups(levels: readonly PerFilterConfigs[]): Pick<ResolvedRoute, 'perFilterConfigs' | 'filterDisabled'> {
  return {
    perFilterConfigs: (name) => levels.flatMap((level) => (level.config(name) === undefined ? [] : [level.config(name)])),
    filterDisabled(name) {
      for (let i = levels.length - 1; i >= 0; i--) {
        const disabled = levels[i]?.disabled(name);
        if (disabled !== undefined) return disabled;
      }
      return undefined;
    },
  };
}

type PickedCluster = NonNullable<ReturnType<ResolvedRoute['pickCluster']>> & { readonly filters: PerFilterConfigs };

/** `weighted_clusters`: one cluster by weight, with its header mutations and `typed_per_filter_config`. */
function weightedClusterPicker(weighted: NonNullable<RouteActionConfig['weighted_clusters']>, context: FilterFactoryContext): () => PickedCluster {
  const clusters = weighted.clusters.map((c) => ({
    name: c.name,
    weight: c.weight ?? 0,
    request: new HeaderMutation(c.request_headers_to_add, c.request_headers_to_remove),
    response: new HeaderMutation(c.response_headers_to_add, c.response_headers_to_remove),
    filters: PerFilterConfigs.compile(c.typed_per_filter_config, context, context.server),
  }));
  const total = clusters.reduce((sum, c) => sum + c.weight, 0);
  return () => {
    let r = Math.random() * total;
    for (const c of clusters) {
      r -= c.weight;
      if (r < 0) return c;
    }
    return clusters[clusters.length - 1] as PickedCluster;
  };
}

/**
 * A compiled route configuration. `validateClustersByDefault`: whether unknown clusters are
 * errors when `validate_clusters` is unset (Envoy: yes inline, no from RDS).
 */
export class RouteTable implements RouteResolver {
  private readonly hosts: VirtualHostSelector<CompiledRoute[]>;

  constructor(config: RouteConfigurationConfig, hcmUpgrades: readonly HcmUpgradeConfig[], context: FilterFactoryContext, validateClustersByDefault = true) {
    const issues: ConfigIssueReporter = context.server;
    const clusterManager = context.server.clusterManager;
    const virtualHosts = config.virtual_hosts ?? [];
    for (const duplicate of VirtualHostSelector.duplicates(virtualHosts)) {
      issues.configIssue(config, 'virtual_hosts', `Only unique values for domains are permitted. Duplicate entry of domain ${duplicate} in route ${config.name ?? ''}`);
    }
    const global: Level = {
      request: new HeaderMutation(config.request_headers_to_add, config.request_headers_to_remove),
      response: new HeaderMutation(config.response_headers_to_add, config.response_headers_to_remove),
      filters: PerFilterConfigs.compile(config.typed_per_filter_config, context, issues),
    };
    const validate = config.validate_clusters ?? validateClustersByDefault;
    this.hosts = new VirtualHostSelector(
      virtualHosts.map((vh) => ({
        domains: vh.domains,
        value: compileVirtualHost(
          vh,
          global,
          hcmUpgrades,
          (route, name, field) => {
            if (validate && !clusterManager.hasCluster(name)) issues.configIssue(route, field, `route: unknown${field === 'name' ? ' weighted' : ''} cluster '${name}'`, 'define it in static_resources.clusters');
          },
          context,
        ),
      })),
      config.ignore_port_in_host_matching ?? false,
    );
  }

  resolve(headers: HeaderMap): ResolvedRoute | undefined {
    const routes = this.hosts.select(headers.get(':authority') ?? '');
    return routes?.find((r) => r.matches(headers))?.resolve();
  }
}

/** What a route configuration or a virtual host gives each of its routes. */
interface Level {
  readonly request: HeaderMutation;
  readonly response: HeaderMutation;
  readonly filters: PerFilterConfigs;
}

function compileVirtualHost(
  vh: VirtualHostConfig,
  global: Level,
  hcmUpgrades: readonly HcmUpgradeConfig[],
  checkCluster: (target: object, name: string, field: string) => void,
  context: FilterFactoryContext,
): CompiledRoute[] {
  const issues = context.server;
  const vhost: Level = {
    request: new HeaderMutation(vh.request_headers_to_add, vh.request_headers_to_remove),
    response: new HeaderMutation(vh.response_headers_to_add, vh.response_headers_to_remove),
    filters: PerFilterConfigs.compile(vh.typed_per_filter_config, context, issues),
  };
  return (vh.routes ?? []).map((route) => {
    const action = route.route;
    if (action?.cluster) checkCluster(action, action.cluster, 'cluster');
    for (const weighted of action?.weighted_clusters?.clusters ?? []) checkCluster(weighted, weighted.name, 'name');
    // Least specific first: the route configuration, the virtual host, the route (then a weighted cluster).
    const filterLevels = [global.filters, vhost.filters, PerFilterConfigs.compile(route.typed_per_filter_config, context, issues)];
    const resolved: ResolvedRoute = {
      name: route.name ?? '',
      virtualHost: vh.name,
      virtualHostConfig: vh,
      config: route,
      action,
      requestMutations: [new HeaderMutation(route.request_headers_to_add, route.request_headers_to_remove), vhost.request, global.request].filter((m) => !m.isEmpty),
      responseMutations: [new HeaderMutation(route.response_headers_to_add, route.response_headers_to_remove), vhost.response, global.response].filter((m) => !m.isEmpty),
      hashPolicy: action?.hash_policy?.length ? new HashPolicy(action.hash_policy) : undefined,
      pickCluster: clusterPicker(action),
      upgrade: upgradeRule(action, hcmUpgrades),
      directResponseBody: directResponseBody(route, issues),
      ...filterLookups(filterLevels),
    };
    const weighted = action?.weighted_clusters ? weightedClusterPicker(action.weighted_clusters, context) : undefined;
    return {
      matches: routeMatcher(route.match),
      // As Envoy, a weighted cluster is picked as the route is resolved: the filters before the
      // router see its typed_per_filter_config, and the router forwards to it.
      resolve: weighted
        ? () => {
            const picked = weighted();
            return { ...resolved, pickCluster: () => picked, ...filterLookups([...filterLevels, picked.filters]) };
          }
        : () => resolved,
    };
  });
}

function clusterPicker(action: RouteActionConfig | undefined): ResolvedRoute['pickCluster'] {
  if (!action) return () => undefined;
  if (action.cluster) {
    const picked = { name: action.cluster };
    return () => picked;
  }
  if (action.cluster_header) {
    const header = action.cluster_header;
    return (headers) => {
      const name = headers.get(header);
      return name ? { name } : undefined;
    };
  }
  // Weighted clusters are picked as the route resolves (see compileVirtualHost).
  return () => undefined;
}

/**
 * Envoy's enablement matrix: a route-level entry for the type decides (enabled unless
 * `enabled: false`); otherwise the connection manager's entry does. A route `connect_config`
 * means CONNECT is terminated here rather than proxied.
 */
function upgradeRule(action: RouteActionConfig | undefined, hcmUpgrades: readonly HcmUpgradeConfig[]): ResolvedRoute['upgrade'] {
  return (type) => {
    const wanted = type.toLowerCase();
    const routeEntry = action?.upgrade_configs?.find((u) => u.upgrade_type.toLowerCase() === wanted);
    const hcmEntry = hcmUpgrades.find((u) => u.upgrade_type.toLowerCase() === wanted);
    const allowed = routeEntry ? routeEntry.enabled !== false : hcmEntry !== undefined && hcmEntry.enabled !== false;
    return { allowed, terminate: routeEntry?.connect_config !== undefined, allowPost: routeEntry?.connect_config?.allow_post ?? false };
  };
}

/** The body of a direct response, read now so that a missing file is a config error. */
function directResponseBody(route: RouteConfig, issues: ConfigIssueReporter): string | undefined {
  const body = route.direct_response?.body;
  if (!body) return undefined;
  if (body.inline_string !== undefined) return body.inline_string;
  if (body.inline_bytes !== undefined) return Buffer.from(body.inline_bytes, 'base64').toString('latin1');
  if (body.environment_variable !== undefined) return process.env[body.environment_variable] ?? '';
  try {
    return readFileSync(body.filename ?? '', 'latin1');
  } catch (err) {
    issues.configIssue(body, 'filename', `cannot read ${body.filename}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
}
