import { StatsStore, handleAdminRequest, mergeStats, snapshotStats, type AdminSource, type Server, type StatsSnapshot } from '@nodevoy/core';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV, type FromWorker, type ToWorker } from './messages.js';

/** This process's place among the workers, when the primary forked it. */
export function workerPlacement(): { index: number; count: number } | undefined {
  const index = process.env[WORKER_INDEX_ENV];
  const count = process.env[WORKER_COUNT_ENV];
  return index === undefined || count === undefined ? undefined : { index: Number(index), count: Number(count) };
}

const send = (message: FromWorker) => process.send?.(message);

/**
 * Serves the primary: admin requests (worker 0 answers for all, with everyone's stats merged
 * into its own), stats snapshots, and the signals the primary forwards. Signals from outside
 * are the primary's to handle: a Ctrl-C that reaches the whole process group drains once.
 */
export function serveAsWorker(server: Server, onSignal: (signal: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => {});
  process.on('message', (message: ToWorker) => {
    switch (message.kind) {
      case 'signal':
        onSignal(message.signal);
        return;
      case 'stats':
        send({ kind: 'stats', id: message.id, snapshot: snapshotStats(server.stats) });
        return;
      case 'admin': {
        const source = message.otherStats ? withMergedStats(server, message.otherStats) : server;
        const response = handleAdminRequest(source, { method: message.method, path: message.path, query: new URLSearchParams(message.query) });
        send({ kind: 'admin', id: message.id, response });
        return;
      }
    }
  });
  // The primary went away: nobody is left to coordinate, stop at once.
  process.on('disconnect', () => server.stop());
  send({ kind: 'ready' });
}

/** This worker, as the admin sees it, but with every worker's stats added up. */
function withMergedStats(server: Server, others: StatsSnapshot[]): AdminSource {
  const stats = new StatsStore();
  mergeStats(stats, snapshotStats(server.stats));
  for (const snapshot of others) mergeStats(stats, snapshot);
  return {
    stats,
    runtime: server.runtime,
    state: server.state,
    startTimeMs: server.startTimeMs,
    listenerAddresses: () => server.listenerAddresses(),
    clusters: () => server.clusters(),
    serverInfo: () => server.serverInfo(),
    configDump: () => server.configDump(),
    certificates: () => server.certificates(),
    quit: () => server.quit(),
    drainListeners: () => server.drainListeners(),
    setHealthCheckFailed: (failed) => server.setHealthCheckFailed(failed),
  };
}
