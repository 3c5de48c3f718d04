import type { ResourceManager, RoutingPriority } from './resource-manager.js';
import type { ClusterInfo, Host } from './types.js';

/**
 * One request's life in a connection pool, counted as Envoy's pools count it: pending until a
 * connection takes it, then active (`upstream_rq_total` counts it) until it finishes. TCP
 * pools (tcp_proxy) and HTTP pools (router, tunnels) share it, so the numbers agree.
 */
export class PoolRequestStats {
  private state: 'pending' | 'active' | 'done' = 'pending';
  private readonly resources: ResourceManager;

  constructor(
    private readonly info: Pick<ClusterInfo, 'stats' | 'resources'>,
    private readonly host: Host,
    priority: RoutingPriority = 'DEFAULT',
  ) {
    this.resources = info.resources[priority];
  }

  /**
   * Envoy's circuit breakers on a new request: `max_requests` (`upstream_rq_active_overflow`),
   * then `max_pending_requests` (`upstream_rq_pending_overflow`). False: it overflows and must
   * fail at once (reset reason overflow).
   */
  static admit(info: Pick<ClusterInfo, 'stats' | 'resources'>, priority: RoutingPriority = 'DEFAULT'): boolean {
    const resources = info.resources[priority];
    if (!resources.requests.canCreate()) {
      info.stats.upstream_rq_active_overflow.inc();
      return false;
    }
    if (!resources.pendingRequests.canCreate()) {
      info.stats.upstream_rq_pending_overflow.inc();
      return false;
    }
    return true;
  }

  pending(): void {
    this.info.stats.upstream_rq_pending_total.inc();
    this.info.stats.upstream_rq_pending_active.inc();
    this.host.stats.rq_pending_active++;
    this.resources.pendingRequests.inc();
  }

  /** A connection serves the request now: it counts in `upstream_rq_total`. */
  assigned(): void {
    if (this.state !== 'pending') return;
    this.state = 'active';
    const stats = this.info.stats;
    this.leavePending();
    stats.upstream_rq_total.inc();
    stats.upstream_rq_active.inc();
    this.resources.requests.inc();
    this.host.stats.rq_total++;
    this.host.stats.rq_active++;
  }

  /** No connection came: the pool overflowed or the connection failed. */
  failedPending(reason: 'overflow' | 'failure'): void {
    if (this.state !== 'pending') return;
    this.state = 'done';
    this.leavePending();
    if (reason === 'overflow') this.info.stats.upstream_rq_pending_overflow.inc();
    else this.info.stats.upstream_rq_pending_failure_eject.inc();
  }

  /** The request's owner gave up: `upstream_rq_cancelled` if it was still waiting. */
  cancelled(): void {
    if (this.state === 'pending') {
      this.state = 'done';
      this.leavePending();
      this.info.stats.upstream_rq_cancelled.inc();
    } else this.finished('error');
  }

  /** An assigned request ended: its response completed, or it was reset. */
  finished(outcome: 'success' | 'error'): void {
    if (this.state !== 'active') return;
    this.state = 'done';
    this.info.stats.upstream_rq_active.dec();
    this.resources.requests.dec();
    this.host.stats.rq_active--;
    if (outcome === 'success') this.host.stats.rq_success++;
    else this.host.stats.rq_error++;
  }

  /** A TCP-pool request ends with its connection; Envoy counts which side closed it. */
  destroyedWithConnection(event: 'RemoteClose' | 'LocalClose'): void {
    if (this.state !== 'active') return;
    this.state = 'done';
    const stats = this.info.stats;
    stats.upstream_cx_destroy_with_active_rq.inc();
    stats.upstream_rq_active.dec();
    this.resources.requests.dec();
    this.host.stats.rq_active--;
    if (event === 'RemoteClose') stats.upstream_cx_destroy_remote_with_active_rq.inc();
    else stats.upstream_cx_destroy_local_with_active_rq.inc();
  }

  private leavePending(): void {
    this.resources.pendingRequests.dec();
    this.info.stats.upstream_rq_pending_active.dec();
    this.host.stats.rq_pending_active--;
  }
}
