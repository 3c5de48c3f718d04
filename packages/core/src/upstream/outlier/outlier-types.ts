import type { Host } from '../types.js';

/**
 * What a filter saw of an upstream request or connection, in Envoy's words
 * (`Upstream::Outlier::Result`): local-origin events are about reaching the host; external
 * ones are the host's own answers.
 */
export type OutlierResult =
  | 'LocalOriginConnectSuccess'
  /** Connected, and that is all this filter will learn (tcp_proxy): counts as a success. */
  | 'LocalOriginConnectSuccessFinal'
  | 'LocalOriginConnectFailed'
  | 'LocalOriginTimeout'
  | 'ExtOriginRequestFailed'
  | 'ExtOriginRequestSuccess';

/** How filters report to a cluster's outlier detection (a no-op where the cluster has none). */
export interface OutlierReporter {
  /** The host answered with this HTTP status (Envoy's `putHttpResponseCode`). */
  putHttpResponseCode(host: Host, status: number): void;
  /** A local-origin event, or an answer from a protocol with no status; `status` stands in for one. */
  putResult(host: Host, result: OutlierResult, status?: number): void;
}

export const NO_OUTLIER_DETECTION: OutlierReporter = Object.freeze({
  putHttpResponseCode() {},
  putResult() {},
});
