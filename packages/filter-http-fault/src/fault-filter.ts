import { sampled, type Counter, type FractionalPercentConfig, type Gauge, type Runtime, type StatsScope } from '@nodevoy/core';
import { headerMatcher, type DecoderFilterCallbacks, type HttpFilter, type HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';
import type { HttpFaultConfig } from './fault-config.js';

/** The filter's `<stat_prefix>fault.*` stats (and per downstream cluster, made on first use). */
export class FaultStats {
  readonly delaysInjected: Counter;
  readonly abortsInjected: Counter;
  readonly faultsOverflow: Counter;
  readonly activeFaults: Gauge;

  constructor(private readonly scope: StatsScope) {
    this.delaysInjected = scope.counter('fault.delays_injected');
    this.abortsInjected = scope.counter('fault.aborts_injected');
    this.faultsOverflow = scope.counter('fault.faults_overflow');
    this.activeFaults = scope.gauge('fault.active_faults');
  }

  forDownstreamCluster(cluster: string, name: 'delays_injected' | 'aborts_injected'): Counter {
    return this.scope.counter(`fault.${cluster}.${name}`);
  }
}

/** One HTTPFault config (the filter's or a route's), with Envoy's runtime keys. */
export class FaultSettings {
  readonly matchesHeaders: (headers: HeaderMap) => boolean;
  /** The runtime keys, Envoy's defaults where the config names none (worked out once, not per request). */
  readonly keys: { readonly delayPercent: string; readonly abortPercent: string; readonly delayDuration: string; readonly abortStatus: string; readonly maxActiveFaults: string };

  constructor(readonly config: HttpFaultConfig) {
    const matchers = (config.headers ?? []).map(headerMatcher);
    this.matchesHeaders = (headers) => matchers.every((match) => match(headers));
    this.keys = {
      delayPercent: config.delay_percent_runtime ?? 'fault.http.delay.fixed_delay_percent',
      abortPercent: config.abort_percent_runtime ?? 'fault.http.abort.abort_percent',
      delayDuration: config.delay_duration_runtime ?? 'fault.http.delay.fixed_duration_ms',
      abortStatus: config.abort_http_status_runtime ?? 'fault.http.abort.http_status',
      maxActiveFaults: config.max_active_faults_runtime ?? 'fault.http.max_active_faults',
    };
  }
}

/** Faults in flight per filter config, for `max_active_faults`. */
const activeFaults = new WeakMap<FaultStats, number>();

/** A header's integer, or undefined when it is absent or not one. */
function headerInteger(headers: HeaderMap, name: string): number | undefined {
  const value = headers.get(name)?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * `envoy.filters.http.fault` on one request (Envoy's FaultFilter): if the request is targeted
 * (route cluster, downstream node, headers), a delay held before the request goes on, then an
 * abort answered here with the configured status (`fault_filter_abort`); percentages and values
 * from the config, the runtime and, for header faults, the x-envoy-fault-* request headers.
 */
export class FaultFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private settings: FaultSettings;
  private timer: NodeJS.Timeout | undefined;
  private counted = false;

  constructor(
    settings: FaultSettings,
    private readonly stats: FaultStats,
    private readonly runtime: Runtime,
    private readonly routeSettings: (callbacks: DecoderFilterCallbacks) => FaultSettings | undefined,
  ) {
    this.settings = settings;
  }

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const settings = (this.settings = this.routeSettings(this.callbacks) ?? this.settings);
    const config = settings.config;
    if (config.upstream_cluster !== undefined && this.callbacks.route()?.action?.cluster !== config.upstream_cluster) return 'continue';
    const nodes = config.downstream_nodes ?? [];
    if (nodes.length > 0 && !nodes.includes(headers.get('x-envoy-downstream-service-node') ?? '')) return 'continue';
    if (!settings.matchesHeaders(headers)) return 'continue';
    const downstreamCluster = headers.get('x-envoy-downstream-service-cluster') || undefined;
    const delayMs = this.delayMs(headers, downstreamCluster);
    if (delayMs !== undefined && this.takeFaultSlot()) {
      this.count('delays_injected', downstreamCluster);
      this.callbacks.requestInfo.responseFlags.set('DI');
      this.timer = setTimeout(() => {
        this.timer = undefined;
        // The fault in flight is the delay's: an abort after it takes no other slot.
        const status = this.abortStatus(headers, downstreamCluster);
        if (status === undefined) this.callbacks.continueDecoding();
        else this.abort(status, downstreamCluster);
      }, delayMs);
      return 'stop';
    }
    const status = this.abortStatus(headers, downstreamCluster);
    if (status !== undefined && this.takeFaultSlot()) {
      this.abort(status, downstreamCluster);
      return 'stop';
    }
    return 'continue';
  }

  onDestroy(): void {
    clearTimeout(this.timer);
    if (!this.counted) return;
    this.counted = false;
    this.stats.activeFaults.dec();
    activeFaults.set(this.stats, (activeFaults.get(this.stats) ?? 1) - 1);
  }

  /** Envoy's delayDuration: enabled by percentage, then the header's or the configured duration. */
  private delayMs(headers: HeaderMap, downstreamCluster: string | undefined): number | undefined {
    const delay = this.settings.config.delay;
    if (!delay) return undefined;
    const keys = this.settings.keys;
    const percentage = delay.header_delay ? this.headerPercentage(headers, 'x-envoy-fault-delay-request-percentage', delay.percentage) : delay.percentage;
    if (!this.enabled(keys.delayPercent, percentage, downstreamCluster && `fault.http.${downstreamCluster}.delay.fixed_delay_percent`)) return undefined;
    let ms: number | undefined;
    if (delay.header_delay) ms = headerInteger(headers, 'x-envoy-fault-delay-request');
    else {
      ms = this.runtime.getInteger(keys.delayDuration, delay.fixed_delay ?? 0);
      if (downstreamCluster) ms = this.runtime.getInteger(`fault.http.${downstreamCluster}.delay.fixed_duration_ms`, ms);
    }
    return ms !== undefined && ms > 0 ? ms : undefined;
  }

  /** The abort's status when the abort is enabled for this request. */
  private abortStatus(headers: HeaderMap, downstreamCluster: string | undefined): number | undefined {
    const abort = this.settings.config.abort;
    if (!abort) return undefined;
    const keys = this.settings.keys;
    const percentage = abort.header_abort ? this.headerPercentage(headers, 'x-envoy-fault-abort-request-percentage', abort.percentage) : abort.percentage;
    if (!this.enabled(keys.abortPercent, percentage, downstreamCluster && `fault.http.${downstreamCluster}.abort.abort_percent`)) return undefined;
    let status: number | undefined;
    if (abort.header_abort) status = headerInteger(headers, 'x-envoy-fault-abort-request');
    else {
      status = this.runtime.getInteger(keys.abortStatus, abort.http_status ?? 0);
      if (downstreamCluster) status = this.runtime.getInteger(`fault.http.${downstreamCluster}.abort.http_status`, status);
    }
    return status !== undefined && status >= 200 && status < 600 ? status : undefined;
  }

  private abort(status: number, downstreamCluster: string | undefined): void {
    this.count('aborts_injected', downstreamCluster);
    this.callbacks.requestInfo.responseFlags.set('FI');
    this.callbacks.sendLocalReply({ status, body: 'fault filter abort', details: 'fault_filter_abort' });
  }

  /** A header's percentage (numerator, capped at the configured one), with the configured denominator. */
  private headerPercentage(headers: HeaderMap, name: string, configured: FractionalPercentConfig | undefined): FractionalPercentConfig | undefined {
    const fromHeader = headerInteger(headers, name);
    if (fromHeader === undefined || !configured) return configured;
    return { ...configured, numerator: Math.min(fromHeader, configured.numerator ?? 0) };
  }

  /** Envoy's featureEnabled on the filter's key, or the downstream cluster's. */
  private enabled(key: string, percentage: FractionalPercentConfig | undefined, downstreamKey: string | undefined): boolean {
    return sampled(this.runtime, key, percentage) || (downstreamKey !== undefined && sampled(this.runtime, downstreamKey, percentage));
  }

  /** Counts one more fault in flight unless `max_active_faults` says no (`faults_overflow`). */
  private takeFaultSlot(): boolean {
    if (this.counted) return true;
    const config = this.settings.config;
    const max = this.runtime.getInteger(this.settings.keys.maxActiveFaults, config.max_active_faults ?? Number.MAX_SAFE_INTEGER);
    const active = activeFaults.get(this.stats) ?? 0;
    if (active >= max) {
      this.stats.faultsOverflow.inc();
      return false;
    }
    activeFaults.set(this.stats, active + 1);
    this.stats.activeFaults.inc();
    this.counted = true;
    return true;
  }

  private count(name: 'delays_injected' | 'aborts_injected', downstreamCluster: string | undefined): void {
    (name === 'delays_injected' ? this.stats.delaysInjected : this.stats.abortsInjected).inc();
    if (downstreamCluster && !this.settings.config.disable_downstream_cluster_stats) this.stats.forDownstreamCluster(downstreamCluster, name).inc();
  }
}
