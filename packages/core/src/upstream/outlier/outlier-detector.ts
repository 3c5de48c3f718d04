import type { OutlierDetectionConfig } from '../../config/envoy/outlier-detection.js';
import type { Logger } from '../../log/logger.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Counter, StatsScope } from '../../stats/store.js';
import type { Host } from '../types.js';
import { HostMonitor, type ConsecutiveErrorType, type HostMonitorOwner, type SuccessRateBuckets } from './host-monitor.js';
import { OutlierPolicy } from './outlier-policy.js';
import { createOutlierStats, EJECTION_STAT, type EjectionType, type OutlierStats } from './outlier-stats.js';
import type { OutlierReporter, OutlierResult } from './outlier-types.js';

export interface OutlierDetectorDeps {
  readonly config: OutlierDetectionConfig;
  readonly statsScope: StatsScope;
  readonly runtime: Runtime;
  /** A host was ejected or brought back: the cluster rebuilds its load-balancing set. */
  readonly onHealthChanged: () => void;
  readonly log: Logger;
}

/**
 * A cluster's outlier detection (Envoy's `DetectorImpl`): runs of errors eject a host at once;
 * every `interval`, ejected hosts whose time is up come back, and the success-rate and
 * failure-percentage checks compare hosts over the last interval. An ejection lasts
 * `base_ejection_time` times how often the host was ejected lately, up to `max_ejection_time`;
 * no more than `max_ejection_percent` of the hosts are out at once.
 */
export class OutlierDetector implements OutlierReporter, HostMonitorOwner {
  private readonly policy: OutlierPolicy;
  private readonly stats: OutlierStats;
  private readonly enforcedByType: Record<EjectionType, Counter>;
  private readonly detectedByType: Record<EjectionType, Counter>;
  private readonly monitors = new Map<string, HostMonitor>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: OutlierDetectorDeps) {
    this.policy = new OutlierPolicy(deps.config, deps.runtime);
    this.stats = createOutlierStats(deps.statsScope);
    const byType = (kind: 'enforced' | 'detected') =>
      Object.fromEntries(Object.entries(EJECTION_STAT).map(([type, suffix]) => [type, deps.statsScope.counter(`outlier_detection.ejections_${kind}_${suffix}`)])) as Record<EjectionType, Counter>;
    this.enforcedByType = byType('enforced');
    this.detectedByType = byType('detected');
  }

  get splitExternalLocalOriginErrors(): boolean {
    return this.policy.splitExternalLocalOriginErrors;
  }

  threshold(type: ConsecutiveErrorType): number {
    return this.policy.consecutiveThreshold(type);
  }

  start(): void {
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The cluster's hosts now: new ones are monitored, gone ones forgotten. */
  updateHosts(hosts: readonly Host[]): void {
    const seen = new Set<string>();
    for (const host of hosts) {
      const key = host.address.asString;
      seen.add(key);
      const monitor = this.monitors.get(key);
      if (monitor) monitor.host = host;
      else this.monitors.set(key, new HostMonitor(host, this));
    }
    for (const [key, monitor] of this.monitors) {
      if (seen.has(key)) continue;
      if (monitor.host.healthFlags.has('failed_outlier_check')) this.stats.ejections_active.dec();
      this.monitors.delete(key);
    }
  }

  putHttpResponseCode(host: Host, status: number): void {
    this.monitors.get(host.address.asString)?.putHttpResponseCode(status);
  }

  putResult(host: Host, result: OutlierResult, status?: number): void {
    this.monitors.get(host.address.asString)?.putResult(result, status);
  }

  /** `successful_active_health_check_uneject_host`: a passing active check brings an ejected host back. */
  onHealthCheckPassed(host: Host): void {
    if (!this.policy.unejectOnActiveHealthCheck) return;
    const flags = host.healthFlags;
    if (flags.has('failed_outlier_check') && !flags.has('failed_active_hc')) {
      const monitor = this.monitors.get(host.address.asString);
      if (monitor) this.uneject(monitor);
    }
  }

  /** `/clusters`' `success_rate` and `local_origin_success_rate` of a host (-1: none this interval). */
  successRates(host: Host): { readonly external: number; readonly local: number } {
    const monitor = this.monitors.get(host.address.asString);
    return { external: monitor?.externalSuccessRate ?? -1, local: monitor?.localSuccessRate ?? -1 };
  }

  onConsecutiveError(monitor: HostMonitor, type: ConsecutiveErrorType): void {
    if (monitor.host.healthFlags.has('failed_outlier_check')) return;
    this.detected(type);
    this.eject(monitor, type);
    // Counted afresh, so a run interleaved with successes elsewhere is seen again.
    monitor.resetConsecutive(type);
    if (type === 'CONSECUTIVE_5XX') this.stats.ejections_consecutive_5xx.inc();
  }

  private arm(): void {
    this.timer = setTimeout(() => this.onInterval(), this.policy.intervalMs);
    this.timer.unref();
  }

  private onInterval(): void {
    const now = performance.now();
    for (const monitor of this.monitors.values()) {
      this.maybeUneject(monitor, now);
      monitor.externalOrigin.rotate();
      monitor.localOrigin.rotate();
      monitor.externalSuccessRate = -1;
      monitor.localSuccessRate = -1;
    }
    this.successRateEjections('external');
    this.successRateEjections('local');
    // A host that stayed in for a whole interval since it came back earns back one step of back-off.
    const interval = this.policy.intervalMs;
    for (const monitor of this.monitors.values()) {
      if (monitor.host.healthFlags.has('failed_outlier_check')) continue;
      if (monitor.lastUnejectionMs !== undefined && now - monitor.lastUnejectionMs >= interval && monitor.ejectTimeBackoff > 0) monitor.ejectTimeBackoff--;
    }
    this.arm();
  }

  private maybeUneject(monitor: HostMonitor, now: number): void {
    if (!monitor.host.healthFlags.has('failed_outlier_check')) return;
    const ejectedFor = Math.min(this.policy.baseEjectionTimeMs * monitor.ejectTimeBackoff, this.policy.maxEjectionTimeMs) + monitor.jitterMs;
    if (now - (monitor.lastEjectionMs ?? now) >= ejectedFor) this.uneject(monitor);
  }

  private eject(monitor: HostMonitor, type: EjectionType): void {
    const active = this.stats.ejections_active.value;
    const ejectedPercent = (100 * (active + 1)) / this.monitors.size;
    const allowed = ejectedPercent <= this.policy.maxEjectionPercent || (this.policy.alwaysEjectOneHost && active === 0);
    if (!allowed) {
      this.stats.ejections_overflow.inc();
      return;
    }
    if (type === 'CONSECUTIVE_5XX' || type === 'SUCCESS_RATE') this.stats.ejections_total.inc();
    if (!this.policy.enforced(type)) return;
    this.stats.ejections_active.inc();
    this.stats.ejections_enforced_total.inc();
    this.enforcedByType[type].inc();
    monitor.host.healthFlags.add('failed_outlier_check');
    monitor.numEjections++;
    monitor.lastEjectionMs = performance.now();
    monitor.jitterMs = Math.floor(Math.random() * (this.policy.maxEjectionTimeJitterMs + 1));
    const base = this.policy.baseEjectionTimeMs;
    if (monitor.ejectTimeBackoff * base < this.policy.maxEjectionTimeMs + base) monitor.ejectTimeBackoff++;
    this.deps.log.info(`outlier detection: ${monitor.host.address.asString} ejected (${type})`);
    this.deps.onHealthChanged();
  }

  private uneject(monitor: HostMonitor): void {
    this.stats.ejections_active.dec();
    monitor.host.healthFlags.delete('failed_outlier_check');
    monitor.consecutive5xx = 0;
    monitor.consecutiveGatewayFailure = 0;
    monitor.consecutiveLocalOriginFailure = 0;
    monitor.lastUnejectionMs = performance.now();
    this.deps.log.info(`outlier detection: ${monitor.host.address.asString} back in`);
    this.deps.onHealthChanged();
  }

  private detected(type: EjectionType): void {
    this.detectedByType[type].inc();
  }

  /**
   * Envoy's success-rate check (hosts below mean - stdev_factor x stdev of the last interval's
   * success rates) and failure-percentage check (hosts failing at least the threshold), over
   * hosts with enough requests, when enough hosts have them.
   */
  private successRateEjections(origin: 'external' | 'local'): void {
    const sr = this.policy.successRate;
    const fp = this.policy.failurePercentage;
    if (this.monitors.size < sr.minimumHosts && this.monitors.size < fp.minimumHosts) return;
    const bucketsOf = (m: HostMonitor): SuccessRateBuckets => (origin === 'external' ? m.externalOrigin : m.localOrigin);
    const forSuccessRate: [HostMonitor, number][] = [];
    const forFailurePercentage: [HostMonitor, number][] = [];
    for (const monitor of this.monitors.values()) {
      if (monitor.host.healthFlags.has('failed_outlier_check')) continue;
      const measured = bucketsOf(monitor).rateAndVolume();
      if (!measured) continue;
      if (measured.volume >= Math.min(sr.requestVolume, fp.requestVolume)) {
        if (origin === 'external') monitor.externalSuccessRate = measured.rate;
        else monitor.localSuccessRate = measured.rate;
      }
      if (measured.volume >= sr.requestVolume) forSuccessRate.push([monitor, measured.rate]);
      if (measured.volume >= fp.requestVolume) forFailurePercentage.push([monitor, measured.rate]);
    }
    if (forSuccessRate.length > 0 && forSuccessRate.length >= sr.minimumHosts) {
      const mean = forSuccessRate.reduce((sum, [, rate]) => sum + rate, 0) / forSuccessRate.length;
      const variance = forSuccessRate.reduce((sum, [, rate]) => sum + (rate - mean) ** 2, 0) / forSuccessRate.length;
      const threshold = mean - sr.stdevFactor * Math.sqrt(variance);
      const type: EjectionType = origin === 'external' ? 'SUCCESS_RATE' : 'SUCCESS_RATE_LOCAL_ORIGIN';
      for (const [monitor, rate] of forSuccessRate) {
        if (rate >= threshold) continue;
        this.stats.ejections_success_rate.inc();
        this.detected(type);
        this.eject(monitor, type);
      }
    }
    if (forFailurePercentage.length > 0 && forFailurePercentage.length >= fp.minimumHosts) {
      const type: EjectionType = origin === 'external' ? 'FAILURE_PERCENTAGE' : 'FAILURE_PERCENTAGE_LOCAL_ORIGIN';
      for (const [monitor, rate] of forFailurePercentage) {
        if (100 - rate < fp.threshold || monitor.host.healthFlags.has('failed_outlier_check')) continue;
        this.detected(type);
        this.eject(monitor, type);
      }
    }
  }
}
