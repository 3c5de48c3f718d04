import { connectionLogContext, emitAccessLogs, type LoggedConnection } from '../formatter/access-log.js';
import type { Logger } from '../log/logger.js';
import { Connection, type ConnectionCallbacks, type ConnectionEvent } from '../network/connection.js';
import { ConnectionInfo } from '../network/connection-info.js';
import type { Address } from '../network/address.js';
import type { IoHandle } from '../network/io-handle.js';
import { RestoredAddressIoHandle } from '../network/restored-address-io-handle.js';
import type { AccessLogger, ListenerFilter, ListenerFilterCallbacks } from '../registry/types.js';
import type { DrainDecision, ServerContext } from '../server/context.js';
import type { WorkerContext } from '../server/worker.js';
import { REJECT_INCOMING_CONNECTIONS } from '../overload/overload-manager.js';
import type { Gauge, StatsScope } from '../stats/store.js';
import { filterManagerFor, type FilterChain } from './filter-chain.js';
import type { FilterChainMatcher } from './filter-chain-matcher.js';
import { createListenerStats, createPerWorkerListenerStats, type ListenerStats, type PerWorkerListenerStats } from './listener-stats.js';

export interface ListenerDeps {
  readonly name: string;
  readonly isInternal: boolean;
  readonly statsScope: StatsScope;
  readonly matcher: FilterChainMatcher<FilterChain>;
  readonly listenerFilters: readonly (() => ListenerFilter)[];
  readonly listenerFiltersTimeoutMs: number;
  readonly continueOnListenerFiltersTimeout: boolean;
  readonly bufferLimit: number;
  readonly server: ServerContext;
  readonly worker: WorkerContext;
  readonly log: Logger;
  readonly totalConnections: Gauge;
  readonly drain: ListenerDrainDecision;
  /** The listener's `access_log`: one entry per connection, when it closes or is refused. */
  readonly accessLoggers: readonly AccessLogger[];
}

/**
 * A listener's accepting side, shared by TCP and internal listeners: listener filters,
 * filter-chain match, the server connection and its filters, stats, and the set of live
 * connections (for drain and shutdown).
 */
export class Listener {
  readonly stats: ListenerStats;
  private readonly workerStats: PerWorkerListenerStats;
  private readonly connections = new Set<Connection>();
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: ListenerDeps) {
    this.stats = createListenerStats(deps.statsScope);
    this.workerStats = createPerWorkerListenerStats(deps.statsScope, deps.worker);
  }

  get name(): string {
    return this.deps.name;
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  /**
   * Under `reject_incoming_connections`, a new kernel connection is closed as soon as it is
   * accepted (counted, as Envoy). Internal listeners are never asked: their connections come
   * from connections already accepted, which overload never breaks.
   */
  rejectForOverload(): boolean {
    if (!this.deps.server.overload.isActive(REJECT_INCOMING_CONNECTIONS)) return false;
    this.stats.downstream_cx_overload_reject.inc();
    return true;
  }

  /** Calls `callback` once no connection is left (at once if none is). */
  onIdle(callback: () => void): void {
    if (this.connections.size === 0) callback();
    else this.idleWaiters.push(callback);
  }

  startDraining(): void {
    this.deps.drain.start();
  }

  /** Closes every live connection now (end of drain, or shutdown). */
  closeAllConnections(reason: string): void {
    for (const connection of [...this.connections]) connection.close('NoFlush', reason);
  }

  /**
   * Takes a new socket. Returns once the connection exists and its filters ran, or once the
   * socket was refused; listener filters that pause make the rest asynchronous.
   */
  accept(io: IoHandle): void {
    const info = new ConnectionInfo();
    // What an internal_upstream socket sent across the hop, before any listener filter looks.
    io.passthroughState?.mergeInto(info);
    info.internalHops = io.passthroughState?.internalHops ?? 0;
    if (this.deps.listenerFilters.length === 0) {
      this.completeAccept(io, info);
      return;
    }
    new ListenerFilterRun(this.deps, this.stats, io, info, (ok, restored) => {
      if (ok) this.completeAccept(restored ? new RestoredAddressIoHandle(io, restored) : io, info);
      else io.close('now');
    }).start();
  }

  private completeAccept(io: IoHandle, info: ConnectionInfo): void {
    const chain = this.deps.matcher.match(io.localAddress, io.remoteAddress, info);
    if (!chain) {
      this.stats.no_filter_chain_match.inc();
      this.deps.log.debug(`closing connection from ${io.remoteAddress.asString}: no matching filter chain found`);
      io.close('now');
      info.responseFlags.set('NR');
      info.responseCodeDetails = 'filter_chain_not_found';
      this.writeAccessLogs({ localAddress: io.localAddress, remoteAddress: io.remoteAddress, info });
      return;
    }
    const transport = chain.transportSocket ? chain.transportSocket.wrap(io) : io;
    const connection = new Connection({
      id: this.deps.server.nextConnectionId(),
      io: transport,
      info,
      bufferLimit: this.deps.bufferLimit,
      log: this.deps.log,
      worker: this.deps.worker,
    });
    this.track(connection);
    if (chain.transportSocketConnectTimeoutMs > 0 && transport.whenEstablished) this.limitNegotiation(connection, transport, chain.transportSocketConnectTimeoutMs);
    try {
      for (const factory of chain.factories) factory(filterManagerFor(connection));
    } catch (err) {
      // A network filter factory is extension code: its throw closes this connection only.
      connection.closeOnFilterError('filter factory', err);
      return;
    }
    if (connection.state === 'Open' && !connection.initializeReadFilters()) {
      this.deps.log.debug(`[C${connection.id}] closing connection from ${io.remoteAddress.asString}: no filters`);
      connection.close('NoFlush', 'no_filters');
    }
  }

  /** `transport_socket_connect_timeout`: a transport still negotiating when it fires is closed, as Envoy. */
  private limitNegotiation(connection: Connection, transport: IoHandle, timeoutMs: number): void {
    const timer = setTimeout(() => {
      this.stats.downstream_cx_transport_socket_connect_timeout.inc();
      connection.close('NoFlush', 'transport socket connect timeout');
    }, timeoutMs);
    transport.whenEstablished?.(() => clearTimeout(timer));
    connection.addConnectionCallbacks({ onEvent: (event) => event !== 'Connected' && clearTimeout(timer) });
  }

  private track(connection: Connection): void {
    const { stats, workerStats } = this;
    const startMs = performance.now();
    stats.downstream_cx_total.inc();
    stats.downstream_cx_active.inc();
    workerStats.downstream_cx_total.inc();
    workerStats.downstream_cx_active.inc();
    this.deps.totalConnections.inc();
    this.connections.add(connection);
    const tracker: ConnectionCallbacks = {
      onEvent: (event: ConnectionEvent) => {
        if (event === 'Connected') return;
        this.connections.delete(connection);
        stats.downstream_cx_active.dec();
        stats.downstream_cx_destroy.inc();
        stats.downstream_cx_length_ms.record(performance.now() - startMs);
        workerStats.downstream_cx_active.dec();
        this.deps.totalConnections.dec();
        this.writeAccessLogs(connection);
        if (this.connections.size === 0 && this.idleWaiters.length > 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
      },
    };
    connection.addConnectionCallbacks(tracker);
  }

  private writeAccessLogs(connection: LoggedConnection): void {
    if (this.deps.accessLoggers.length === 0) return;
    emitAccessLogs(this.deps.accessLoggers, connectionLogContext(connection), this.deps.log, `listener '${this.deps.name}'`);
  }
}

/**
 * Tells a listener's filters whether to close long-lived connections: the listener or the
 * server drains, or (`drain_type: DEFAULT`) the server is health-check-failed, as Envoy's drain manager.
 */
export class ListenerDrainDecision implements DrainDecision {
  private draining = false;

  constructor(
    private readonly lifecycle: ServerContext['lifecycle'],
    private readonly drainType: 'DEFAULT' | 'MODIFY_ONLY' = 'DEFAULT',
  ) {}

  start(): void {
    this.draining = true;
  }

  drainClose(): boolean {
    return this.draining || this.lifecycle.draining || (this.drainType === 'DEFAULT' && this.lifecycle.healthCheckFailed);
  }
}

/**
 * Runs the listener filters over one socket, honouring pauses and the listener filter timeout.
 * Filters that read the first bytes get them peeked: the bytes are put back before the
 * connection exists, so it reads them as if nobody had.
 */
class ListenerFilterRun implements ListenerFilterCallbacks {
  private index = 0;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  /** The filter waiting for bytes, and every byte peeked so far. */
  private reading: ListenerFilter | undefined;
  private peeked: Buffer = EMPTY;
  private peeking = false;
  private local: Address;
  private remote: Address;

  constructor(
    private readonly deps: ListenerDeps,
    private readonly stats: ListenerStats,
    private readonly io: IoHandle,
    readonly info: ConnectionInfo,
    /** `restored`: the addresses filters restored, when they did. */
    private readonly finish: (ok: boolean, restored?: { local: Address; remote: Address }) => void,
  ) {
    this.local = io.localAddress;
    this.remote = io.remoteAddress;
  }

  get localAddress() {
    return this.local;
  }

  get remoteAddress() {
    return this.remote;
  }

  setRemoteAddress(address: Address): void {
    this.remote = address;
    this.info.directRemoteAddress = this.io.remoteAddress;
  }

  restoreLocalAddress(address: Address): void {
    this.local = address;
    this.info.restoredLocalAddress = address;
  }

  drainPeeked(bytes: number): void {
    this.peeked = this.peeked.subarray(Math.min(bytes, this.peeked.length));
  }

  start(): void {
    this.stats.downstream_pre_cx_active.inc();
    this.runFrom();
  }

  continueFilterChain(success: boolean): void {
    if (this.done) return;
    if (!success) return this.end(false);
    this.reading = undefined;
    this.runFrom();
  }

  private runFrom(): void {
    while (this.index < this.deps.listenerFilters.length) {
      const filter = (this.deps.listenerFilters[this.index++] as () => ListenerFilter)();
      const status = this.guarded(() => filter.onAccept(this));
      if (this.done || status === undefined) return;
      if (status === 'stop') {
        if (!this.timer && this.deps.listenerFiltersTimeoutMs > 0) {
          this.timer = setTimeout(() => this.onTimeout(), this.deps.listenerFiltersTimeoutMs);
        }
        if ((filter.maxReadBytes ?? 0) > 0 && filter.onData) this.readFor(filter);
        return;
      }
    }
    this.end(true);
  }

  /** Calls into a filter; a throw closes the socket (counted), as any filter boundary does. */
  private guarded<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch (err) {
      this.stats.downstream_listener_filter_error.inc();
      this.deps.log.warn(`listener filter threw: ${err instanceof Error ? err.message : String(err)}`);
      this.end(false);
      return undefined;
    }
  }

  private readFor(filter: ListenerFilter): void {
    this.reading = filter;
    if (this.peeked.length > 0) queueMicrotask(() => this.offerPeeked());
    if (this.peeking) return;
    this.peeking = true;
    this.io.setCallbacks({
      onConnected() {},
      onData: (chunk) => {
        this.peeked = this.peeked.length === 0 ? chunk : Buffer.concat([this.peeked, chunk]);
        this.offerPeeked();
      },
      onEndOfStream: () => {
        // The peer gave up before the filters decided: Envoy's listener filter remote close.
        this.stats.downstream_listener_filter_remote_close.inc();
        this.end(false);
      },
      onWriteDrained() {},
      onClosed: () => this.end(false),
    });
  }

  private offerPeeked(): void {
    const filter = this.reading;
    if (this.done || !filter?.onData || this.peeked.length === 0) return;
    const status = this.guarded(() => (filter.onData as (data: Buffer) => 'continue' | 'stop')(this.peeked.subarray(0, filter.maxReadBytes)));
    if (this.done || status !== 'continue' || this.reading !== filter) return;
    this.reading = undefined;
    this.runFrom();
  }

  private onTimeout(): void {
    this.stats.downstream_pre_cx_timeout.inc();
    this.end(this.deps.continueOnListenerFiltersTimeout);
  }

  private end(ok: boolean): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.stats.downstream_pre_cx_active.dec();
    if (this.peeked.length > 0) this.io.unread?.(this.peeked);
    this.peeked = EMPTY;
    const restored = this.local !== this.io.localAddress || this.remote !== this.io.remoteAddress;
    this.finish(ok, restored ? { local: this.local, remote: this.remote } : undefined);
  }
}

const EMPTY = Buffer.alloc(0);
