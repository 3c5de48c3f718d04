import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import { StatsFlusher, StatsStore, logAdminAddress, mergeStats, snapshotStats, type Logger, type StatsSink, type StatsSnapshot } from '@nodevoy/core';
import { PrimaryAdmin } from './primary-admin.js';
import { WorkerPool } from './worker-pool.js';

export interface PrimaryOptions {
  readonly workers: number;
  /** The config's admin address, if it has one. */
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  readonly adminAddressPath: string | undefined;
  readonly log: Logger;
  readonly onSignal: (handler: (signal: string) => void) => void;
  /** The config's stats sinks: the primary flushes every worker's counters and gauges, added up. */
  readonly stats: { readonly sinks: readonly StatsSink[]; readonly flushIntervalMs: number };
}

/** Every worker's stats (and the primary's own), added up as the admin shows them. */
async function mergedStats(pool: WorkerPool): Promise<StatsSnapshot> {
  const snapshots = await Promise.all(pool.running().map((worker) => pool.rpc.stats(worker)));
  const merged = new StatsStore();
  for (const snapshot of [...snapshots, pool.snapshot()]) mergeStats(merged, snapshot);
  return snapshotStats(merged);
}

/**
 * `--concurrency N`: N worker processes (node:cluster), each a whole nodevoy server with its own
 * listeners, internal listener registry, connection pools and stats, as Envoy's workers each
 * have theirs; a connection and every internal hop it takes stay in the worker that accepted it.
 * They accept on shared listen sockets (the kernel spreads connections). The primary only serves
 * the admin, passes signals on, replaces a worker that dies, and exits when the workers have.
 */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { log } = options;
  // Every worker accepts on the shared socket itself, as Envoy's workers do (no hand-off).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const pool = new WorkerPool(options.workers, log);
  // Admin first, as Envoy: it answers (and /ready says INITIALIZING) while the workers start.
  const admin = new PrimaryAdmin(pool);
  if (options.admin) {
    const address = await admin.start(options.admin.host, options.admin.port);
    if (options.adminAddressPath) writeFileSync(options.adminAddressPath, address.asString);
    logAdminAddress(log, address);
  }
  const exited = pool.exited();
  const flusher = new StatsFlusher(options.stats.sinks);
  if (!(await pool.start())) {
    flusher.stop();
    admin.stop();
    return exited;
  }
  log.info(`${options.workers} workers started`);
  if (options.stats.sinks.length > 0) flusher.startPeriodic(options.stats.flushIntervalMs, () => mergedStats(pool));
  options.onSignal((signal) => {
    pool.stop();
    log.warn(`caught ${signal}`);
    for (const worker of pool.running()) worker.send({ kind: 'signal', signal });
  });
  const code = await exited;
  flusher.stop();
  admin.stop();
  log.info('exiting');
  return code;
}
