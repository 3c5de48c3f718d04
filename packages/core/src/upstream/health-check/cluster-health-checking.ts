import type { HealthCheckConfig } from '../../config/envoy/health-check.js';
import type { TypedConfig } from '../../config/schema/any.js';
import type { Logger } from '../../log/logger.js';
import { socketAddress, type Address } from '../../network/address.js';
import type { Connection } from '../../network/connection.js';
import type { ServerContext } from '../../server/context.js';
import type { StatsScope } from '../../stats/store.js';
import type { ClusterInfo, Host } from '../types.js';
import { ActiveHealthChecker } from './active-health-checker.js';
import { createHealthCheckStats, HealthCheckPolicy } from './health-check-policy.js';
import type { HostCheckLoop } from './host-check-loop.js';
import type { HealthCheckerFactory, HealthCheckTarget } from './types.js';

export interface ClusterHealthCheckingDeps {
  readonly configs: readonly HealthCheckConfig[];
  readonly server: ServerContext;
  readonly info: ClusterInfo;
  readonly statsScope: StatsScope;
  /** Whether the cluster ever carried traffic (checks slow to `no_traffic_interval` until it has). */
  readonly hadTraffic: () => boolean;
  /** A connection for checks to `address` on behalf of `host`, not counted as a pool connection. */
  readonly openConnection: (host: Host, address: Address) => Connection;
  readonly onHealthChanged: () => void;
  /** A check of `host` passed (outlier detection may bring an ejected host back). */
  readonly onHostPassed: (host: Host) => void;
  readonly log: Logger;
}

/** The extension config a `HealthCheck` names: `http_health_check`, `tcp_health_check`... */
function checkerConfig(config: HealthCheckConfig): TypedConfig | undefined {
  return config.http_health_check ?? config.tcp_health_check ?? config.grpc_health_check ?? config.custom_health_check?.typed_config;
}

/** A cluster's `health_checks`: every entry checks every host; their verdicts share the host's flags, as in Envoy. */
export class ClusterHealthChecking {
  private readonly checkers: ActiveHealthChecker[];

  constructor(deps: ClusterHealthCheckingDeps) {
    const stats = createHealthCheckStats(deps.statsScope);
    this.checkers = deps.configs.flatMap((config) => {
      const typed = checkerConfig(config);
      if (!typed) return [];
      const reuseConnection = config.reuse_connection ?? true;
      const checker = (typed.target as HealthCheckerFactory).createHealthChecker(typed.config, {
        server: deps.server,
        cluster: deps.info,
        healthCheck: config,
        reuseConnection,
      });
      return [
        new ActiveHealthChecker({
          config,
          checker,
          policy: new HealthCheckPolicy(config, stats, deps.server.runtime, deps.hadTraffic),
          clusterName: deps.info.name,
          createSession: (loop) => checker.createSession(targetOf(loop, deps)),
          onHealthChanged: deps.onHealthChanged,
          onHostPassed: deps.onHostPassed,
          log: deps.log,
        }),
      ];
    });
  }

  /** Resolves once every host had its first check from every checker. */
  async start(hosts: readonly Host[]): Promise<void> {
    await Promise.all(this.checkers.map((checker) => checker.start(hosts)));
  }

  updateHosts(hosts: readonly Host[]): void {
    for (const checker of this.checkers) checker.updateHosts(hosts);
  }

  stop(): void {
    for (const checker of this.checkers) checker.stop();
  }
}

function targetOf(loop: HostCheckLoop, deps: ClusterHealthCheckingDeps): HealthCheckTarget {
  const first = loop.host;
  const port = first.healthCheckConfig?.portValue;
  const address = port && first.address.kind === 'socket' ? socketAddress(first.address.ip, port) : first.address;
  return {
    get host() {
      return loop.host;
    },
    address,
    hostname: (configured) => loop.host.healthCheckConfig?.hostname || configured || deps.info.name,
    openConnection: () => deps.openConnection(loop.host, address),
  };
}
