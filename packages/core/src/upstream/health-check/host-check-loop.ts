import type { Host } from '../types.js';
import type { HealthCheckFailureType, HealthCheckResult, HealthCheckSession } from './types.js';
import type { HealthCheckPolicy } from './health-check-policy.js';

/** Envoy's `HealthTransition`: did the check change whether the host may take traffic. */
export type HealthTransition = 'Unchanged' | 'Changed' | 'ChangePending';

export interface HostCheckLoopOwner {
  readonly policy: HealthCheckPolicy;
  /** Runs after every check: the first one of each host completes the cluster's initial round. */
  onCheckComplete(loop: HostCheckLoop, transition: HealthTransition): void;
  onFailure(host: Host, type: HealthCheckFailureType, firstCheck: boolean, transition: HealthTransition, httpStatus: number): void;
  onSuccess(host: Host, firstCheck: boolean, transition: HealthTransition): void;
  onDegradedChange(host: Host, degraded: boolean): void;
}

/**
 * The checks of one host, timed as Envoy's `ActiveHealthCheckSession`: an attempt each
 * interval, a timeout per attempt, `healthy_threshold` successes in a row to come back and
 * `unhealthy_threshold` network failures in a row to go (a wrong answer fails the host at once).
 * The very first success makes a new host healthy straight away, as Envoy does for fast startup.
 */
export class HostCheckLoop {
  firstCheck = true;
  private numHealthy = 0;
  private numUnhealthy = 0;
  /** Bumped per attempt: a result from an attempt that timed out is ignored. */
  private attempt = 0;
  private intervalTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly session: HealthCheckSession;

  constructor(
    /** The host checked; discovery refreshes replace the object, keeping its flags and counters. */
    public host: Host,
    createSession: (loop: HostCheckLoop) => HealthCheckSession,
    private readonly owner: HostCheckLoopOwner,
  ) {
    this.session = createSession(this);
    if (!host.healthFlags.has('failed_active_hc')) owner.policy.stats.healthy.inc();
    if (host.healthFlags.has('degraded_active_hc')) owner.policy.stats.degraded.inc();
  }

  start(): void {
    const jitter = this.owner.policy.initialJitterMs;
    if (jitter === 0) this.run();
    else this.schedule(this.owner.policy.withJitter(0, jitter));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.attempt++;
    clearTimeout(this.intervalTimer);
    clearTimeout(this.timeoutTimer);
    const { stats } = this.owner.policy;
    if (!this.host.healthFlags.has('failed_active_hc')) stats.healthy.dec();
    if (this.host.healthFlags.has('degraded_active_hc')) stats.degraded.dec();
    this.session.close();
    // Whoever waits for this host's first check (cluster warming) waits no longer.
    if (this.firstCheck) this.owner.onCheckComplete(this, 'Unchanged');
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.intervalTimer = setTimeout(() => this.run(), ms);
    this.intervalTimer.unref();
  }

  private run(): void {
    if (this.stopped) return;
    const attempt = ++this.attempt;
    this.timeoutTimer = setTimeout(() => this.onTimeout(attempt), this.owner.policy.timeoutMs);
    this.timeoutTimer.unref();
    this.owner.policy.stats.attempt.inc();
    try {
      this.session.check((result) => {
        if (attempt === this.attempt && !this.stopped) this.onResult(result);
      });
    } catch {
      // A checker that throws is a check that could not be made.
      if (attempt === this.attempt) this.onResult({ healthy: false, type: 'NETWORK' });
    }
  }

  private onTimeout(attempt: number): void {
    if (attempt !== this.attempt || this.stopped) return;
    this.attempt++;
    this.session.abandon();
    this.handleFailure('NETWORK_TIMEOUT', false, 0);
  }

  private onResult(result: HealthCheckResult): void {
    this.attempt++;
    clearTimeout(this.timeoutTimer);
    if (result.healthy) {
      this.handleSuccess(result.degraded ?? false);
      return;
    }
    if (result.excludeImmediately) this.host.healthFlags.add('excluded_via_immediate_hc_fail');
    this.handleFailure(result.type, result.retriable ?? false, result.httpStatus ?? 0);
  }

  private handleSuccess(degraded: boolean): void {
    const { policy } = this.owner;
    const flags = this.host.healthFlags;
    this.numUnhealthy = 0;
    let transition: HealthTransition = 'Unchanged';
    const firstCheck = this.firstCheck;
    if (flags.has('failed_active_hc')) {
      if (firstCheck || ++this.numHealthy >= policy.healthyThreshold) {
        flags.delete('active_hc_timeout');
        flags.delete('excluded_via_immediate_hc_fail');
        flags.delete('failed_active_hc');
        policy.stats.healthy.inc();
        transition = 'Changed';
      } else {
        transition = 'ChangePending';
      }
    }
    this.owner.onSuccess(this.host, firstCheck, transition);
    if (degraded !== flags.has('degraded_active_hc')) {
      if (degraded) {
        flags.add('degraded_active_hc');
        policy.stats.degraded.inc();
      } else {
        flags.delete('degraded_active_hc');
        policy.stats.degraded.dec();
      }
      this.owner.onDegradedChange(this.host, degraded);
      if (transition === 'Unchanged') transition = 'Changed';
    }
    policy.stats.success.inc();
    this.firstCheck = false;
    this.owner.onCheckComplete(this, transition);
    this.schedule(policy.interval('healthy', transition));
  }

  private handleFailure(type: HealthCheckFailureType, retriable: boolean, httpStatus: number): void {
    const { policy } = this.owner;
    const flags = this.host.healthFlags;
    const network = type === 'NETWORK' || type === 'NETWORK_TIMEOUT';
    this.numHealthy = 0;
    let transition: HealthTransition = 'Unchanged';
    if (!flags.has('failed_active_hc')) {
      if ((!network && !retriable) || ++this.numUnhealthy >= policy.unhealthyThreshold) {
        flags.add('failed_active_hc');
        policy.stats.healthy.dec();
        transition = 'Changed';
      } else {
        transition = 'ChangePending';
      }
    }
    // A host failing by timeout says so; one failing otherwise does not (it may toggle).
    if (type === 'NETWORK_TIMEOUT' && flags.has('failed_active_hc')) flags.add('active_hc_timeout');
    else flags.delete('active_hc_timeout');
    this.owner.onFailure(this.host, type, this.firstCheck, transition, httpStatus);
    policy.stats.failure.inc();
    if (network) policy.stats.network_failure.inc();
    this.firstCheck = false;
    this.owner.onCheckComplete(this, transition);
    this.schedule(policy.interval('unhealthy', transition));
  }
}
