import { addressToProto } from '../network/address.js';
import { renderPrometheus } from '../stats/prometheus.js';
import { renderStatsJson, renderStatsText, type StatsQuery } from '../stats/render.js';
import type { Cluster } from '../upstream/cluster.js';
import { healthFlagsText } from '../upstream/host.js';
import type { Host } from '../upstream/types.js';
import type { ResourceManager } from '../upstream/resource-manager.js';
import type { AdminSource } from './admin-source.js';

export interface AdminResponse {
  readonly status: number;
  readonly contentType: 'text/plain; charset=UTF-8' | 'application/json' | 'text/html; charset=UTF-8';
  readonly body: string;
}

const text = (body: string, status = 200): AdminResponse => ({ status, contentType: 'text/plain; charset=UTF-8', body });
const json = (value: unknown, status = 200): AdminResponse => ({ status, contentType: 'application/json', body: `${JSON.stringify(value, null, 1)}\n` });

export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
}

interface Endpoint {
  readonly help: string;
  readonly mutates?: boolean;
  handle(source: AdminSource, request: AdminRequest): AdminResponse;
}

/** The admin endpoints nodevoy serves, with Envoy's paths and output shapes. */
export const ADMIN_ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  '/ready': {
    help: 'print server state, return 200 if LIVE, otherwise return 503',
    handle: (source) => text(`${source.state}\n`, source.state === 'LIVE' ? 200 : 503),
  },
  '/stats': {
    help: 'print server stats',
    handle: (source, { query }) => {
      const parsed = statsQuery(query);
      if ('error' in parsed) return text(`${parsed.error}\n`, 400);
      return query.get('format') === 'json' ? json(renderStatsJson(source.stats, parsed)) : text(renderStatsText(source.stats, parsed));
    },
  },
  '/stats/prometheus': {
    help: 'print server stats in prometheus format',
    handle: (source, { query }) => text(renderPrometheus(source.stats, query.has('usedonly'))),
  },
  '/listeners': {
    help: 'print listener info',
    handle: (source, { query }) => {
      const listeners = source.listenerAddresses();
      if (query.get('format') === 'json') {
        return json({ listener_statuses: listeners.map((l) => ({ name: l.name, local_address: addressToProto(l.address) })) });
      }
      return text(listeners.map((l) => `${l.name}::${l.address.asString}\n`).join(''));
    },
  },
  '/clusters': {
    help: 'upstream cluster status',
    handle: (source, { query }) =>
      query.get('format') === 'json' ? json({ cluster_statuses: source.clusters().map(clusterJson) }) : text(source.clusters().map(clusterText).join('')),
  },
  '/server_info': {
    help: 'print server version/status information',
    handle: (source) => json(source.serverInfo()),
  },
  '/config_dump': {
    help: 'dump current Envoy configs',
    handle: (source) => json(source.configDump()),
  },
  '/certs': {
    help: 'print certs on machine',
    handle: (source) => json({ certificates: source.certificates() }),
  },
  '/runtime': {
    help: 'print runtime values',
    handle: (source) => json(source.runtime.toAdminJson()),
  },
  '/quitquitquit': {
    help: 'exit the server',
    mutates: true,
    handle: (source) => {
      source.quit();
      return text('OK\n');
    },
  },
  '/drain_listeners': {
    help: 'drain listeners',
    mutates: true,
    handle: (source) => {
      source.drainListeners();
      return text('OK\n');
    },
  },
  '/healthcheck/fail': {
    help: 'cause the server to fail health checks',
    mutates: true,
    handle: (source) => {
      source.setHealthCheckFailed(true);
      return text('OK\n');
    },
  },
  '/healthcheck/ok': {
    help: 'cause the server to pass health checks',
    mutates: true,
    handle: (source) => {
      source.setHealthCheckFailed(false);
      return text('OK\n');
    },
  },
};

export function handleAdminRequest(source: AdminSource, request: AdminRequest): AdminResponse {
  if (request.path === '/' || request.path === '/help') {
    return text(
      `admin commands are:\n${Object.entries(ADMIN_ENDPOINTS)
        .map(([path, e]) => `  ${path}: ${e.help}\n`)
        .join('')}`,
    );
  }
  const endpoint = ADMIN_ENDPOINTS[request.path];
  if (!endpoint) return text(`invalid path. admin commands are:\n${Object.keys(ADMIN_ENDPOINTS).join('\n')}\n`, 404);
  if (endpoint.mutates && request.method !== 'POST') return text('This endpoint requires POST\n', 405);
  return endpoint.handle(source, request);
}

function statsQuery(query: URLSearchParams): StatsQuery | { error: string } {
  const filterText = query.get('filter');
  let filter: RegExp | undefined;
  if (filterText) {
    try {
      filter = new RegExp(filterText);
    } catch {
      return { error: `Invalid re2 regex` };
    }
  }
  const type = query.get('type') ?? undefined;
  if (type !== undefined && !['Counters', 'Gauges', 'Histograms', 'All'].includes(type)) return { error: `invalid &type= parameter` };
  return { ...(filter ? { filter } : {}), usedOnly: query.has('usedonly'), ...(type ? { type: type as StatsQuery['type'] } : {}) };
}

const HOST_COUNTERS = ['cx_connect_fail', 'cx_total', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total'] as const;
const HOST_GAUGES = ['cx_active', 'rq_active', 'rq_pending_active'] as const;
/** `/clusters` text lists a host's stats alphabetically. */
const HOST_STATS_TEXT_ORDER = [...HOST_COUNTERS, ...HOST_GAUGES].sort();

function clusterText(cluster: Cluster): string {
  const name = cluster.name;
  const lines = [`${name}::observability_name::${name}`];
  for (const [priority, resources] of [['default_priority', cluster.info.resources.DEFAULT], ['high_priority', cluster.info.resources.HIGH]] as const) {
    lines.push(
      `${name}::${priority}::max_connections::${resources.connections.max}`,
      `${name}::${priority}::max_pending_requests::${resources.pendingRequests.max}`,
      `${name}::${priority}::max_requests::${resources.requests.max}`,
      `${name}::${priority}::max_retries::${resources.retries.max}`,
    );
  }
  lines.push(`${name}::added_via_api::false`);
  for (const host of cluster.hosts) {
    const prefix = `${name}::${host.address.asString}`;
    for (const stat of HOST_STATS_TEXT_ORDER) {
      lines.push(`${prefix}::${stat}::${host.stats[stat]}`);
    }
    lines.push(
      `${prefix}::hostname::${host.hostname}`,
      `${prefix}::health_flags::${healthFlagsText(host)}`,
      `${prefix}::weight::${host.weight}`,
      `${prefix}::region::${host.locality.region}`,
      `${prefix}::zone::${host.locality.zone}`,
      `${prefix}::sub_zone::${host.locality.sub_zone}`,
      `${prefix}::canary::false`,
      `${prefix}::priority::${host.priority}`,
      `${prefix}::success_rate::${cluster.successRates(host).external}`,
      `${prefix}::local_origin_success_rate::${cluster.successRates(host).local}`,
    );
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** Envoy's `HostHealthStatus`: the flags set, then what EDS says. */
function hostHealthStatusJson(host: Host): Record<string, unknown> {
  const flags = host.healthFlags;
  return {
    ...(flags.has('failed_active_hc') ? { failed_active_health_check: true } : {}),
    ...(flags.has('failed_outlier_check') ? { failed_outlier_check: true } : {}),
    ...(flags.has('degraded_active_hc') ? { failed_active_degraded_check: true } : {}),
    ...(flags.has('excluded_via_immediate_hc_fail') ? { excluded_via_immediate_hc_fail: true } : {}),
    ...(flags.has('active_hc_timeout') ? { active_hc_timeout: true } : {}),
    eds_health_status: host.health === 'UNKNOWN' ? 'HEALTHY' : host.health,
  };
}

function clusterJson(cluster: Cluster): unknown {
  const limits = (r: ResourceManager) => ({ max_connections: r.connections.max, max_pending_requests: r.pendingRequests.max, max_requests: r.requests.max, max_retries: r.retries.max });
  return {
    name: cluster.name,
    host_statuses: cluster.hosts.map((host) => ({
      address: addressToProto(host.address),
      stats: [
        ...HOST_COUNTERS.map((name) => (host.stats[name] ? { value: String(host.stats[name]), name } : { name })),
        ...HOST_GAUGES.map((name) => (host.stats[name] ? { type: 'GAUGE', value: String(host.stats[name]), name } : { type: 'GAUGE', name })),
      ],
      health_status: hostHealthStatusJson(host),
      weight: host.weight,
      ...(host.hostname ? { hostname: host.hostname } : {}),
      locality: Object.fromEntries(Object.entries(host.locality).filter(([, v]) => v !== '')),
      ...(host.priority ? { priority: host.priority } : {}),
    })),
    circuit_breakers: { thresholds: [limits(cluster.info.resources.DEFAULT), { priority: 'HIGH', ...limits(cluster.info.resources.HIGH) }] },
    observability_name: cluster.name,
  };
}
