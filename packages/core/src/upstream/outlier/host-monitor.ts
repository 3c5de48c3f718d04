import type { Host } from '../types.js';
import type { OutlierResult } from './outlier-types.js';

/** The consecutive-error kinds that eject a host inline, as Envoy's `OutlierEjectionType`s. */
export type ConsecutiveErrorType = 'CONSECUTIVE_5XX' | 'CONSECUTIVE_GATEWAY_FAILURE' | 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE';

/**
 * Requests and successes over one interval, in two buckets: the current one is written, the
 * other (the last full interval) is what the success-rate checks read.
 */
export class SuccessRateBuckets {
  private current = { success: 0, total: 0 };
  private last = { success: 0, total: 0 };

  record(success: boolean): void {
    this.current.total++;
    if (success) this.current.success++;
  }

  /** At each interval: the current bucket becomes the one read, and a new one starts. */
  rotate(): void {
    this.last = this.current;
    this.current = { success: 0, total: 0 };
  }

  /** The last interval's success rate in percent, and its request volume; undefined if no request. */
  rateAndVolume(): { readonly rate: number; readonly volume: number } | undefined {
    if (this.last.total === 0) return undefined;
    return { rate: (this.last.success * 100) / this.last.total, volume: this.last.total };
  }
}

export interface HostMonitorOwner {
  /** The threshold a consecutive-error count must reach (runtime-overridable, as Envoy). */
  threshold(type: ConsecutiveErrorType): number;
  readonly splitExternalLocalOriginErrors: boolean;
  onConsecutiveError(monitor: HostMonitor, type: ConsecutiveErrorType): void;
}

const isGatewayError = (status: number) => status === 502 || status === 503 || status === 504;

/** Envoy's mapping of a local event to the status it counts as when origins are not split. */
function statusOf(result: OutlierResult): number | undefined {
  switch (result) {
    case 'ExtOriginRequestSuccess':
    case 'LocalOriginConnectSuccessFinal':
      return 200;
    case 'LocalOriginTimeout':
      return 504;
    case 'LocalOriginConnectFailed':
      return 503;
    case 'ExtOriginRequestFailed':
      return 500;
    default:
      return undefined;
  }
}

/** One host's outlier state (Envoy's `DetectorHostMonitorImpl`): error runs, success rates, ejection history. */
export class HostMonitor {
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  readonly externalOrigin = new SuccessRateBuckets();
  readonly localOrigin = new SuccessRateBuckets();
  /** The rates shown by `/clusters` (`-1`: not computed in the last interval). */
  externalSuccessRate = -1;
  localSuccessRate = -1;
  numEjections = 0;
  ejectTimeBackoff = 0;
  jitterMs = 0;
  lastEjectionMs: number | undefined;
  lastUnejectionMs: number | undefined;

  constructor(
    public host: Host,
    private readonly owner: HostMonitorOwner,
  ) {}

  putHttpResponseCode(status: number): void {
    if (status >= 500 && status < 600) {
      this.externalOrigin.record(false);
      if (isGatewayError(status)) {
        if (++this.consecutiveGatewayFailure === this.owner.threshold('CONSECUTIVE_GATEWAY_FAILURE')) this.owner.onConsecutiveError(this, 'CONSECUTIVE_GATEWAY_FAILURE');
      } else {
        this.consecutiveGatewayFailure = 0;
      }
      if (++this.consecutive5xx === this.owner.threshold('CONSECUTIVE_5XX')) this.owner.onConsecutiveError(this, 'CONSECUTIVE_5XX');
      return;
    }
    this.externalOrigin.record(true);
    this.consecutive5xx = 0;
    this.consecutiveGatewayFailure = 0;
  }

  putResult(result: OutlierResult, status?: number): void {
    if (!this.owner.splitExternalLocalOriginErrors) {
      const counted = status ?? statusOf(result);
      if (counted !== undefined) this.putHttpResponseCode(counted);
      return;
    }
    switch (result) {
      case 'LocalOriginConnectSuccess':
      case 'LocalOriginConnectSuccessFinal':
        this.localOriginSuccess();
        return;
      case 'LocalOriginTimeout':
      case 'LocalOriginConnectFailed':
        this.localOriginFailure();
        return;
      case 'ExtOriginRequestFailed':
        this.putHttpResponseCode(503);
        return;
      case 'ExtOriginRequestSuccess':
        this.putHttpResponseCode(200);
        this.localOriginSuccess();
        return;
    }
  }

  resetConsecutive(type: ConsecutiveErrorType): void {
    if (type === 'CONSECUTIVE_5XX') this.consecutive5xx = 0;
    else if (type === 'CONSECUTIVE_GATEWAY_FAILURE') this.consecutiveGatewayFailure = 0;
    else this.consecutiveLocalOriginFailure = 0;
  }

  private localOriginFailure(): void {
    this.localOrigin.record(false);
    if (++this.consecutiveLocalOriginFailure === this.owner.threshold('CONSECUTIVE_LOCAL_ORIGIN_FAILURE')) {
      this.owner.onConsecutiveError(this, 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE');
    }
  }

  private localOriginSuccess(): void {
    this.localOrigin.record(true);
    this.consecutiveLocalOriginFailure = 0;
  }
}
