import type { OverloadActionConfig, OverloadManagerConfig } from '../config/envoy/overload.js';
import type { Logger } from '../log/logger.js';
import type { ResourceMonitor, ResourceMonitorFactory } from '../registry/types.js';
import type { ConfigIssueReporter, ServerContext } from '../server/context.js';
import type { Gauge, StatsStore } from '../stats/store.js';
import { BufferAccount } from './buffer-account.js';

/** New connections on TCP listeners are closed as soon as they are accepted (Envoy's action). */
export const REJECT_INCOMING_CONNECTIONS = 'envoy.overload_actions.reject_incoming_connections';
/** nodevoy's action: every connection stops reading until the pressure falls (backpressure). */
export const PAUSE_READS = 'nodevoy.overload_actions.pause_reads';
const SUPPORTED_ACTIONS = [REJECT_INCOMING_CONNECTIONS, PAUSE_READS];

/** Envoy's default refresh interval of resource monitors. */
const DEFAULT_REFRESH_MS = 1000;

/** Which overload actions are in force now. */
export interface OverloadState {
  isActive(action: string): boolean;
}

export const NO_OVERLOAD: OverloadState = { isActive: () => false };

interface Trigger {
  readonly monitor: string;
  /** Pressure at which the action is in force. */
  readonly saturation: number;
  /** Pressure at which a scaled trigger starts (equal to saturation for a threshold). */
  readonly scaling: number;
}

interface Action {
  readonly name: string;
  readonly triggers: readonly Trigger[];
  readonly activeGauge: Gauge;
  readonly scaleGauge: Gauge;
  active: boolean;
}

/**
 * Envoy's overload manager, for what nodevoy can act on: resource monitors report pressure,
 * actions come into force when a trigger's threshold is reached. A monitor that watches
 * (the buffered-bytes one) triggers actions synchronously as the pressure rises; every
 * `refresh_interval` the buffer account is recounted exactly and every action re-evaluated,
 * which is also the only time an action is lifted, so actions never flap faster than that.
 */
export class OverloadManager implements OverloadState {
  readonly bufferAccount = new BufferAccount();
  private readonly monitors = new Map<string, { monitor: ResourceMonitor; pressure: Gauge }>();
  private readonly actions: Action[] = [];
  private readonly refreshMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(config: OverloadManagerConfig, server: ServerContext, issues: ConfigIssueReporter, stats: StatsStore, private readonly log: Logger) {
    this.refreshMs = config.refresh_interval ?? DEFAULT_REFRESH_MS;
    for (const entry of config.resource_monitors ?? []) {
      const factory = entry.typed.target as ResourceMonitorFactory;
      const name = entry.name || factory.name;
      if (this.monitors.has(name)) issues.configIssue(entry, 'name', `duplicate resource monitor '${name}'`);
      const monitor = factory.createResourceMonitor(entry.typed.config, { server, bufferAccount: this.bufferAccount });
      this.monitors.set(name, { monitor, pressure: stats.gauge(`overload.${name}.pressure`) });
    }
    for (const action of config.actions ?? []) this.addAction(action, issues, stats);
    for (const [name, { monitor }] of this.monitors) {
      const points = this.actions.flatMap((a) => a.triggers.filter((t) => t.monitor === name).flatMap((t) => [t.scaling, t.saturation]));
      monitor.watch?.([...new Set(points)], () => this.evaluate(false));
    }
    stats.addRefresher(() => {
      stats.gauge('overload.buffered_bytes').set(this.bufferAccount.heldBytes);
      for (const { monitor, pressure } of this.monitors.values()) pressure.set(Math.round(monitor.pressure() * 100));
    });
  }

  isActive(action: string): boolean {
    return this.actions.some((a) => a.name === action && a.active);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.bufferAccount.recount();
      this.evaluate(true);
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.bufferAccount.resumeReads();
  }

  private addAction(config: OverloadActionConfig, issues: ConfigIssueReporter, stats: StatsStore): void {
    if (!SUPPORTED_ACTIONS.includes(config.name)) {
      issues.configIssue(config, 'name', `overload action '${config.name}' is not implemented by nodevoy`, `use one of: ${SUPPORTED_ACTIONS.join(', ')}`);
      return;
    }
    if (this.actions.some((a) => a.name === config.name)) issues.configIssue(config, 'name', `duplicate overload action '${config.name}'`);
    const triggers: Trigger[] = [];
    for (const trigger of config.triggers ?? []) {
      if (!this.monitors.has(trigger.name)) {
        issues.configIssue(trigger, 'name', `unknown trigger resource ${trigger.name}`);
        continue;
      }
      const saturation = trigger.threshold ? (trigger.threshold.value ?? 0) : (trigger.scaled?.saturation_threshold ?? 0);
      const scaling = trigger.scaled ? (trigger.scaled.scaling_threshold ?? 0) : saturation;
      triggers.push({ monitor: trigger.name, saturation, scaling });
    }
    this.actions.push({
      name: config.name,
      triggers,
      activeGauge: stats.gauge(`overload.${config.name}.active`),
      scaleGauge: stats.gauge(`overload.${config.name}.scale_percent`),
      active: false,
    });
  }

  /** `mayLift`: only a refresh lifts an action; a rise in pressure applies one at once. */
  private evaluate(mayLift: boolean): void {
    for (const action of this.actions) {
      let scale = 0;
      for (const trigger of action.triggers) scale = Math.max(scale, scaleOf(trigger, this.monitors.get(trigger.monitor)?.monitor.pressure() ?? 0));
      action.scaleGauge.set(Math.round(scale * 100));
      const active = scale >= 1;
      if (active === action.active || (!active && !mayLift)) continue;
      action.active = active;
      action.activeGauge.set(active ? 1 : 0);
      this.log.info(`overload action ${action.name} ${active ? 'in force' : 'lifted'} (buffered bytes ${this.bufferAccount.heldBytes})`);
      if (action.name === PAUSE_READS) {
        if (active) this.bufferAccount.pauseReads();
        else this.bufferAccount.resumeReads();
      }
    }
  }
}

function scaleOf(trigger: Trigger, pressure: number): number {
  if (pressure >= trigger.saturation) return 1;
  if (pressure <= trigger.scaling || trigger.saturation <= trigger.scaling) return 0;
  return (pressure - trigger.scaling) / (trigger.saturation - trigger.scaling);
}
