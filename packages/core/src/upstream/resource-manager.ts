import type { CircuitBreakerThresholdsConfig } from '../config/envoy/cluster.js';
import type { Gauge, StatsScope } from '../stats/store.js';

/** A route's priority (`RoutingPriority`): each has its own circuit breakers. */
export type RoutingPriority = 'DEFAULT' | 'HIGH';

/**
 * One circuit breaker (Envoy's `ResourceLimit`): a count against a maximum, with its
 * `circuit_breakers.<priority>.<name>_open` gauge (1 at the limit) and, with `track_remaining`,
 * `remaining_<name>`.
 */
export class ResourceLimit {
  private current = 0;

  constructor(
    private readonly limit: () => number,
    private readonly open: Gauge,
    private readonly remaining: Gauge | undefined,
  ) {
    this.update();
  }

  get count(): number {
    return this.current;
  }

  get max(): number {
    return this.limit();
  }

  canCreate(): boolean {
    return this.current < this.limit();
  }

  inc(): void {
    this.current++;
    this.update();
  }

  dec(): void {
    if (this.current > 0) this.current--;
    this.update();
  }

  private update(): void {
    const max = this.limit();
    this.open.set(this.current >= max ? 1 : 0);
    this.remaining?.set(Math.max(0, max - this.current));
  }
}

/** Envoy's defaults per priority: 1024 connections, pending requests and requests, 3 retries. */
const DEFAULTS = { max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 } as const;

/** The circuit breakers of one priority of a cluster (Envoy's `ResourceManager`). */
export class ResourceManager {
  readonly connections: ResourceLimit;
  readonly pendingRequests: ResourceLimit;
  readonly requests: ResourceLimit;
  readonly retries: ResourceLimit;

  constructor(thresholds: CircuitBreakerThresholdsConfig | undefined, clusterStats: StatsScope, priority: RoutingPriority) {
    const scope = clusterStats.scope(`circuit_breakers.${priority.toLowerCase()}`);
    const track = thresholds?.track_remaining ?? false;
    const limit = (open: string, remaining: string, max: () => number) => new ResourceLimit(max, scope.gauge(open), track ? scope.gauge(remaining) : undefined);
    const fixed = (value: number | undefined, fallback: number) => () => value ?? fallback;
    this.connections = limit('cx_open', 'remaining_cx', fixed(thresholds?.max_connections, DEFAULTS.max_connections));
    this.pendingRequests = limit('rq_pending_open', 'remaining_pending', fixed(thresholds?.max_pending_requests, DEFAULTS.max_pending_requests));
    this.requests = limit('rq_open', 'remaining_rq', fixed(thresholds?.max_requests, DEFAULTS.max_requests));
    const budget = thresholds?.retry_budget;
    // A retry budget bounds retries by the requests in flight instead of a fixed number.
    const retries = budget
      ? () => Math.max(budget.min_retry_concurrency ?? 3, Math.floor(((budget.budget_percent?.value ?? 20) / 100) * (this.requests.count + this.pendingRequests.count)))
      : fixed(thresholds?.max_retries, DEFAULTS.max_retries);
    this.retries = limit('rq_retry_open', 'remaining_retries', retries);
    // Envoy's pool breaker, unlimited unless set: nodevoy's pools are per host and worker, not counted here.
    scope.gauge('cx_pool_open');
  }
}

/** A cluster's breakers for both priorities, from `circuit_breakers.thresholds`. */
export function createResourceManagers(thresholds: readonly CircuitBreakerThresholdsConfig[] | undefined, clusterStats: StatsScope): Record<RoutingPriority, ResourceManager> {
  const of = (priority: RoutingPriority) => thresholds?.find((t) => (t.priority ?? 'DEFAULT') === priority);
  return { DEFAULT: new ResourceManager(of('DEFAULT'), clusterStats, 'DEFAULT'), HIGH: new ResourceManager(of('HIGH'), clusterStats, 'HIGH') };
}
