import type { HealthCheckConfig } from '../../config/envoy/health-check.js';
import type { Address } from '../../network/address.js';
import type { Connection } from '../../network/connection.js';
import type { ExtensionFactory } from '../../registry/types.js';
import type { Category } from '../../registry/categories.js';
import type { ServerContext } from '../../server/context.js';
import type { ClusterInfo, Host } from '../types.js';

/** Why a check failed, as Envoy's `HealthCheckFailureType`. */
export type HealthCheckFailureType = 'ACTIVE' | 'NETWORK' | 'NETWORK_TIMEOUT' | 'PASSIVE';

/** What one check found. */
export type HealthCheckResult =
  | { readonly healthy: true; readonly degraded?: boolean }
  | {
      readonly healthy: false;
      /** ACTIVE: the host answered wrongly; NETWORK: it could not be reached or the exchange broke. */
      readonly type: 'ACTIVE' | 'NETWORK';
      /**
       * An ACTIVE failure that counts towards `unhealthy_threshold` (an HTTP `retriable_statuses`
       * answer); any other ACTIVE failure marks the host unhealthy at once, as Envoy.
       */
      readonly retriable?: boolean;
      readonly httpStatus?: number;
      /** The host asked to leave at once (`x-envoy-immediate-health-check-fail`). */
      readonly excludeImmediately?: boolean;
    };

/** The host one session checks, and how to reach it. */
export interface HealthCheckTarget {
  readonly host: Host;
  /** Where checks go: the host's address, or its `health_check_config.port_value`. */
  readonly address: Address;
  /** The endpoint's `health_check_config.hostname`, else the checker's `host`, else the cluster's name (HTTP). */
  hostname(configured: string | undefined): string;
  /**
   * Opens a connection for checks, through the cluster's transport socket (internal
   * addresses included). Not a pool connection: `upstream_cx_*` do not count it, as in Envoy.
   */
  openConnection(): Connection;
}

/**
 * One host's checks. The runner calls `check` at each interval and handles timeouts,
 * thresholds, stats and the host's flags; the session only talks to the host.
 */
export interface HealthCheckSession {
  /** Runs one check; `done` reports it once. A check abandoned by a timeout may still call `done`: it is ignored. */
  check(done: (result: HealthCheckResult) => void): void;
  /** The check in flight ran past `timeout`: drop it and close what it had open. */
  abandon(): void;
  /** The host left the cluster or the cluster went away: close everything. */
  close(): void;
}

/** A configured checker of one kind, for one cluster. */
export interface HealthChecker {
  /** `HTTP`, `TCP`, `GRPC`: the `health_checker_type` of its events. */
  readonly type: string;
  createSession(target: HealthCheckTarget): HealthCheckSession;
}

export interface HealthCheckerContext {
  readonly server: ServerContext;
  readonly cluster: ClusterInfo;
  /** The `HealthCheck` around the checker's own config (timeouts, `reuse_connection`...). */
  readonly healthCheck: HealthCheckConfig;
  /** `reuse_connection` (default true): keep a connection between checks. */
  readonly reuseConnection: boolean;
}

/**
 * A health checker extension (`envoy.health_checkers.*`), keyed by the `@type` of the
 * `HealthCheck` field it reads (`HttpHealthCheck`...) or of a `custom_health_check`.
 */
export interface HealthCheckerFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.healthChecker;
  /** Config-time checks that need the cluster (e.g. an HTTP/2 check on a cluster without HTTP/2). */
  createHealthChecker(config: C, context: HealthCheckerContext): HealthChecker;
}
