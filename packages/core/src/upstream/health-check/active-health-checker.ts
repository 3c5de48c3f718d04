import type { HealthCheckConfig } from '../../config/envoy/health-check.js';
import type { Logger } from '../../log/logger.js';
import type { Host } from '../types.js';
import { HealthCheckEventLog } from './event-log.js';
import type { HealthCheckPolicy } from './health-check-policy.js';
import { HostCheckLoop, type HealthTransition, type HostCheckLoopOwner } from './host-check-loop.js';
import type { HealthChecker, HealthCheckFailureType, HealthCheckSession } from './types.js';

export interface ActiveHealthCheckerDeps {
  readonly config: HealthCheckConfig;
  readonly checker: HealthChecker;
  readonly policy: HealthCheckPolicy;
  readonly clusterName: string;
  /** A session for the host a loop checks (the loop's `host` follows discovery refreshes). */
  readonly createSession: (loop: HostCheckLoop) => HealthCheckSession;
  /** A host moved in or out of load balancing. */
  readonly onHealthChanged: () => void;
  readonly onHostPassed: (host: Host) => void;
  readonly log: Logger;
}

/**
 * One `health_checks` entry of a cluster: a check loop per host (hosts join and leave with
 * discovery), the event log, and the initial round the cluster waits for before it serves.
 */
export class ActiveHealthChecker implements HostCheckLoopOwner {
  readonly policy: HealthCheckPolicy;
  private readonly loops = new Map<string, HostCheckLoop>();
  private readonly firstRound = new Set<HostCheckLoop>();
  private firstRoundDone: (() => void) | undefined;
  private readonly eventLog: HealthCheckEventLog | undefined;
  /** Until the cluster initializes, host lists are only noted: `start` checks them all. */
  private started = false;

  constructor(private readonly deps: ActiveHealthCheckerDeps) {
    this.policy = deps.policy;
    const path = deps.config.event_log_path;
    this.eventLog = path ? new HealthCheckEventLog(path, deps.checker.type, deps.clusterName, deps.log) : undefined;
  }

  /** Starts checking `hosts`; resolves once each has had its first check (Envoy's cluster warming). */
  start(hosts: readonly Host[]): Promise<void> {
    this.started = true;
    const added = this.addHosts(hosts);
    for (const loop of added) this.firstRound.add(loop);
    const done = new Promise<void>((resolve) => {
      this.firstRoundDone = resolve;
    });
    for (const loop of added) loop.start();
    if (this.firstRound.size === 0) this.firstRoundDone?.();
    return done;
  }

  /** Discovery changed the host list: new hosts start failed and are checked at once; gone ones stop. */
  updateHosts(hosts: readonly Host[]): void {
    if (!this.started) return;
    const current = new Set<string>();
    for (const host of hosts) {
      const key = host.address.asString;
      current.add(key);
      const loop = this.loops.get(key);
      if (loop) loop.host = host;
    }
    for (const [key, loop] of this.loops) {
      if (current.has(key)) continue;
      this.loops.delete(key);
      loop.stop();
    }
    for (const loop of this.addHosts(hosts)) loop.start();
  }

  stop(): void {
    this.started = false;
    for (const loop of this.loops.values()) loop.stop();
    this.loops.clear();
    this.eventLog?.close();
  }

  onCheckComplete(loop: HostCheckLoop, transition: HealthTransition): void {
    if (this.firstRound.delete(loop) && this.firstRound.size === 0) this.firstRoundDone?.();
    if (transition === 'Changed') this.deps.onHealthChanged();
  }

  onSuccess(host: Host, firstCheck: boolean, transition: HealthTransition): void {
    this.deps.onHostPassed(host);
    if (transition === 'Changed') {
      this.deps.log.debug(`health check: ${this.deps.clusterName} ${host.address.asString} is healthy`);
      this.eventLog?.write(host, { add_healthy_event: { first_check: firstCheck } });
    } else if (this.deps.config.always_log_health_check_success) {
      this.eventLog?.write(host, { successful_health_check_event: {} });
    }
  }

  onFailure(host: Host, type: HealthCheckFailureType, firstCheck: boolean, transition: HealthTransition, httpStatus: number): void {
    if (transition === 'Changed') {
      this.deps.log.info(`health check: ${this.deps.clusterName} ${host.address.asString} failed (${type}${httpStatus ? ` ${httpStatus}` : ''}): unhealthy`);
      this.eventLog?.write(host, { eject_unhealthy_event: { failure_type: type } });
    }
    if (firstCheck || this.deps.config.always_log_health_check_failures) {
      this.eventLog?.write(host, { health_check_failure_event: { failure_type: type, first_check: firstCheck, http_status_code: httpStatus } });
    }
  }

  onDegradedChange(host: Host, degraded: boolean): void {
    this.eventLog?.write(host, degraded ? { degraded_healthy_host: {} } : { no_longer_degraded_host: {} });
  }

  /** Loops for hosts not checked yet; a host whose endpoint disables checks gets none. */
  private addHosts(hosts: readonly Host[]): HostCheckLoop[] {
    const added: HostCheckLoop[] = [];
    for (const host of hosts) {
      const key = host.address.asString;
      if (this.loops.has(key) || host.healthCheckConfig?.disabled) continue;
      // Until its first check passes, a host takes no traffic (Envoy's FAILED_ACTIVE_HC at birth).
      host.healthFlags.add('failed_active_hc');
      const loop = new HostCheckLoop(host, (l) => this.deps.createSession(l), this);
      this.loops.set(key, loop);
      added.push(loop);
    }
    return added;
  }
}
