import type { BootstrapConfig } from '../config/envoy/bootstrap.js';
import type { Logger } from '../log/logger.js';
import type { ClientConnectionFactories } from '../network/client-connection-factories.js';
import type { Runtime } from '../runtime/runtime.js';
import type { StatsStore } from '../stats/store.js';
import type { ClusterManagerApi } from '../upstream/types.js';
import type { ServiceRegistry } from './services.js';
import type { OverloadState } from '../overload/overload-manager.js';
import type { SecretManager } from '../secrets/secret-manager.js';

export type ServerMode = 'serve' | 'validate';

/** Reports a semantic config problem at the place a parsed config object came from. */
export interface ConfigIssueReporter {
  configIssue(target: object, field: string | undefined, message: string, hint?: string): void;
}

export interface ServerLifecycle {
  /** True once the server started draining (SIGTERM): long-lived filters should wind down. */
  readonly draining: boolean;
  /**
   * True while the admin's `/healthcheck/fail` is in force: health check filters answer 503
   * and connections drain (Envoy's `healthCheckFailed`), until `/healthcheck/ok`.
   */
  readonly healthCheckFailed: boolean;
  onDrain(callback: () => void): void;
  onShutdown(callback: () => void): void;
}

/** What every extension may use of the server it runs in. All of it is per server. */
export interface ServerContext extends ConfigIssueReporter {
  readonly mode: ServerMode;
  readonly bootstrap: BootstrapConfig;
  readonly stats: StatsStore;
  readonly runtime: Runtime;
  readonly log: Logger;
  readonly services: ServiceRegistry;
  readonly clusterManager: ClusterManagerApi;
  readonly clientConnections: ClientConnectionFactories;
  /** Static secrets and SDS subscriptions (TLS certificates, validation contexts). */
  readonly secrets: SecretManager;
  readonly lifecycle: ServerLifecycle;
  /** Which overload actions are in force (none without an `overload_manager`). */
  readonly overload: OverloadState;
  nextConnectionId(): number;
}

/** The listener a network filter is configured on. */
export interface ListenerInfo {
  readonly name: string;
  readonly isInternal: boolean;
  /** The listener's stats scope root without the trailing dot: `listener.127.0.0.1_19000`. */
  readonly statsPrefix: string;
  /** `traffic_direction`: an OUTBOUND listener's requests are traced as egress. Absent outside a listener (a test harness). */
  readonly trafficDirection?: 'UNSPECIFIED' | 'INBOUND' | 'OUTBOUND';
}

/** Whether a long-lived connection should be closed now because its listener is draining. */
export interface DrainDecision {
  drainClose(): boolean;
}

/**
 * The life of the listener a filter is built for. A filter that needs something before the
 * listener may serve (routes from RDS) adds an init target: the listener warms until every
 * target settled, as Envoy's listener init manager. `onRemoved` runs once the listener is out of
 * service for good (replaced or removed, and drained), to cancel what the filter subscribed to.
 */
export interface ListenerScope {
  addInitTarget(target: Promise<void>): void;
  onRemoved(callback: () => void): void;
}

/** What a network filter factory gets when its filter chain is built (Envoy's FactoryContext). */
export interface FilterFactoryContext {
  readonly server: ServerContext;
  readonly listener: ListenerInfo;
  readonly drainDecision: DrainDecision;
  /** Absent where a filter is built outside a listener (a test harness). */
  readonly listenerScope?: ListenerScope;
}
