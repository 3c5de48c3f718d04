import { randomUUID } from 'node:crypto';
import type { FilterChainConfig, ListenerConfig } from '../config/envoy/listener.js';
import type { Logger } from '../log/logger.js';
import { addressStatName, socketAddress, type Address, internalAddress } from '../network/address.js';
import type { ListenerFilter, ListenerFilterFactory } from '../registry/types.js';
import { createAccessLoggers } from '../formatter/access-log.js';
import type { FilterFactoryContext, ServerContext } from '../server/context.js';
import type { WorkerContext } from '../server/worker.js';
import { createStatsSet, type Gauge } from '../stats/store.js';
import { INTERNAL_ADDRESS_RUNTIME_KEY } from '../upstream/cluster-manager.js';
import { DEFAULT_BUFFER_LIMIT_BYTES } from '../upstream/cluster.js';
import { buildFilterChain, type FilterChain } from './filter-chain.js';
import { compileMatch, FilterChainMatcher, matchSignature } from './filter-chain-matcher.js';
import { INTERNAL_LISTENER_REGISTRY, type InternalListenerHandle } from './internal-listener-registry.js';
import { Listener, ListenerDrainDecision } from './listener.js';
import { validateListener, type ListenerForm } from './listener-validation.js';
import { TcpListenerSocket } from './tcp-listener.js';

const DEFAULT_LISTENER_FILTERS_TIMEOUT_MS = 15_000;

/** A built listener: its accepting side plus how it is reached. */
export interface ActiveListenerEntry {
  readonly name: string;
  readonly config: ListenerConfig;
  readonly listener: Listener;
  readonly form: ListenerForm;
  /** TCP listeners: the kernel socket once bound. */
  readonly socket?: TcpListenerSocket;
  /** Internal listeners: the handle registered with the internal listener registry. */
  readonly internal?: InternalListenerHandle;
}

/** Builds, starts, drains and stops the listeners of one server (on its one worker). */
export class ListenerManager {
  private readonly entries: ActiveListenerEntry[] = [];
  private readonly stats;
  private readonly totalConnections: Gauge;

  constructor(
    private readonly context: ServerContext,
    private readonly worker: WorkerContext,
    private readonly log: Logger,
    /** One of several worker processes: listen sockets are shared with the others. */
    private readonly sharedSockets = false,
  ) {
    this.stats = createStatsSet(context.stats.scope('listener_manager'), {
      counters: [
        'listener_added',
        'listener_create_failure',
        'listener_create_success',
        'listener_in_place_updated',
        'listener_modified',
        'listener_removed',
        'listener_stopped',
      ] as const,
      gauges: ['total_listeners_active', 'total_listeners_draining', 'total_listeners_warming', 'workers_started'] as const,
    });
    this.totalConnections = context.stats.gauge('server.total_connections');
  }

  get listeners(): readonly ActiveListenerEntry[] {
    return this.entries;
  }

  /** Validates and builds every listener; problems go to the context's issue reporter. */
  addListeners(configs: readonly ListenerConfig[]): void {
    for (const config of configs) this.addListener(config);
  }

  /** Binds TCP listeners and registers internal ones: from here connections are accepted. */
  async start(): Promise<void> {
    const registry = this.context.services.get(INTERNAL_LISTENER_REGISTRY);
    for (const entry of this.entries) {
      if (entry.socket) await entry.socket.bind();
      if (entry.internal) registry?.register(this.worker, entry.internal);
      this.stats.listener_create_success.inc();
    }
    this.stats.workers_started.set(1);
  }

  /** Stops accepting on kernel sockets and starts the drain of every listener. */
  startDraining(): void {
    for (const entry of this.entries) {
      entry.socket?.stopAccepting();
      entry.listener.startDraining();
    }
    this.stats.total_listeners_draining.set(this.entries.length);
  }

  activeConnections(): number {
    return this.entries.reduce((n, e) => n + e.listener.activeConnections, 0);
  }

  /** Closes everything: sockets, registry entries, then every live connection. */
  stop(): void {
    const registry = this.context.services.get(INTERNAL_LISTENER_REGISTRY);
    for (const entry of this.entries) {
      entry.socket?.stopAccepting();
      if (entry.internal) registry?.unregister(this.worker, entry.internal);
    }
    for (const entry of [...this.entries].reverse()) entry.listener.closeAllConnections('server shutdown');
    this.stats.total_listeners_active.set(0);
  }

  private addListener(config: ListenerConfig): void {
    const name = config.name || randomUUID();
    const issue = (field: string | undefined, message: string, hint?: string) => this.context.configIssue(config, field, message, hint);
    if (this.entries.some((e) => e.name === name)) {
      issue('name', `error adding listener named '${name}': duplicate listener name`, 'give each listener a unique name');
      return;
    }
    const form = validateListener(
      config,
      name,
      {
        registryInstalled: this.context.services.get(INTERNAL_LISTENER_REGISTRY) !== undefined,
        runtimeAllows: this.context.runtime.getBoolean(INTERNAL_ADDRESS_RUNTIME_KEY, true),
      },
      issue,
    );
    if (!form) {
      this.stats.listener_create_failure.inc();
      return;
    }
    const address: Address = form.kind === 'tcp' ? socketAddress(form.ip, form.port) : internalAddress(form.key);
    const label = address.asString;
    if (form.kind === 'tcp' && form.port !== 0) {
      const clash = this.entries.find((e) => e.form.kind === 'tcp' && e.form.port === form.port && e.form.ip === form.ip);
      if (clash) {
        issue(
          'address',
          `error adding listener: '${name}' has duplicate address '${label}' as existing listener, to check if the listener has duplicated addresses with other listeners or 'enable_reuse_port' is set to 'false' for the listener`,
        );
        return;
      }
    }
    if (form.kind === 'internal' && form.legacy) {
      this.log.info(
        `listener '${name}' declares an internal listener the Envoy 1.23 way (address: envoy_internal_address); nodevoy runs it, Envoy >= 1.24 rejects it: ` +
          `use 'internal_listener: {}' and no address`,
      );
    }
    const chains = config.filter_chains ?? [];
    if (chains.length === 0 && !config.default_filter_chain) {
      issue('filter_chains', `error adding listener '${label}': no filter chains specified`, 'add filter_chains or default_filter_chain');
      return;
    }
    if (!this.checkDuplicateMatchers(chains, label, issue)) return;

    const statsPrefix = `listener.${config.stat_prefix || (form.kind === 'internal' ? `envoy_internal_${form.key}` : addressStatName(address))}`;
    const drain = new ListenerDrainDecision(this.context.lifecycle);
    const factoryContext: FilterFactoryContext = {
      server: this.context,
      listener: { name, isInternal: form.kind === 'internal', statsPrefix },
      drainDecision: drain,
    };
    const built = chains.map((chain) => compileMatch<FilterChain>(buildFilterChain(chain, factoryContext), chain.filter_chain_match));
    const defaultChain = config.default_filter_chain ? buildFilterChain(config.default_filter_chain, factoryContext) : undefined;
    const listenerFilters = (config.listener_filters ?? []).map((entry): (() => ListenerFilter) =>
      (entry.typed.target as ListenerFilterFactory).createListenerFilterFactory(entry.typed.config, factoryContext),
    );

    const listener = new Listener({
      name,
      accessLoggers: createAccessLoggers(config.access_log, this.context),
      isInternal: form.kind === 'internal',
      statsScope: this.context.stats.scope(statsPrefix),
      matcher: new FilterChainMatcher(built, defaultChain),
      listenerFilters,
      listenerFiltersTimeoutMs: config.listener_filters_timeout ?? DEFAULT_LISTENER_FILTERS_TIMEOUT_MS,
      continueOnListenerFiltersTimeout: config.continue_on_listener_filters_timeout ?? false,
      bufferLimit: config.per_connection_buffer_limit_bytes ?? DEFAULT_BUFFER_LIMIT_BYTES,
      server: this.context,
      worker: this.worker,
      log: this.log,
      totalConnections: this.totalConnections,
      drain,
    });
    const entry: ActiveListenerEntry =
      form.kind === 'tcp'
        ? { name, config, listener, form, socket: new TcpListenerSocket(listener, socketAddress(form.ip, form.port), config.tcp_backlog_size, this.sharedSockets) }
        : { name, config, listener, form, internal: { name: form.key, acceptInternal: (io) => listener.accept(io) } };
    this.entries.push(entry);
    this.stats.listener_added.inc();
    this.stats.total_listeners_active.inc();
  }

  private checkDuplicateMatchers(
    chains: readonly FilterChainConfig[],
    label: string,
    issue: (field: string | undefined, message: string) => void,
  ): boolean {
    const seen = new Map<string, string>();
    for (const chain of chains) {
      const signature = matchSignature(chain.filter_chain_match);
      const earlier = seen.get(signature);
      if (earlier !== undefined) {
        issue(
          'filter_chains',
          `error adding listener '${label}': filter chain '${chain.name ?? ''}' has the same matching rules defined as '${earlier}'. duplicate matcher is: ${signature}`,
        );
        return false;
      }
      seen.set(signature, chain.name ?? '');
    }
    return true;
  }
}
