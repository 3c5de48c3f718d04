import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { Logger } from '@nodevoy/core';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV, type FromWorker } from './messages.js';
import { PrimaryAdmin } from './primary-admin.js';
import { WorkerRpc } from './worker-rpc.js';

export interface PrimaryOptions {
  readonly workers: number;
  /** The config's admin address, if it has one. */
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  readonly adminAddressPath: string | undefined;
  readonly log: Logger;
  readonly onSignal: (handler: (signal: string) => void) => void;
}

/**
 * `--concurrency N`: N worker processes (node:cluster), each a whole nodevoy server with its own
 * listeners, internal listener registry, connection pools and stats, as Envoy's workers each
 * have theirs; a connection and every internal hop it takes stay in the worker that accepted it.
 * They accept on shared listen sockets (the kernel spreads connections). The primary only serves
 * the admin, passes signals on, and exits when the workers have.
 */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { log } = options;
  // Every worker accepts on the shared socket itself, as Envoy's workers do (no hand-off).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const workers: Worker[] = [];
  for (let index = 0; index < options.workers; index++) {
    workers.push(cluster.fork({ [WORKER_INDEX_ENV]: String(index), [WORKER_COUNT_ENV]: String(options.workers) }));
  }
  const rpc = new WorkerRpc(workers);
  const exits = workers.map(async (worker) => {
    const [code] = (await once(worker, 'exit')) as [number | null];
    return code ?? 1;
  });
  let stopping = false;
  const allReady = Promise.all(workers.map((worker) => waitReady(worker)));
  const firstExit = Promise.race(exits.map((exit, index) => exit.then((code) => ({ index, code }))));
  const started = await Promise.race([allReady.then(() => undefined), firstExit]);
  if (started) {
    log.error(`worker ${started.index} exited (${started.code}) before it was ready`);
    for (const worker of workers) worker.process.kill('SIGKILL');
    await Promise.all(exits);
    return 1;
  }

  const admin = new PrimaryAdmin(workers, rpc);
  if (options.admin) {
    const address = await admin.start(options.admin.host, options.admin.port);
    if (options.adminAddressPath) writeFileSync(options.adminAddressPath, address);
  }
  log.info(`${options.workers} workers started`);
  options.onSignal((signal) => {
    stopping = true;
    log.warn(`caught ${signal}`);
    for (const worker of workers) if (worker.isConnected()) worker.send({ kind: 'signal', signal });
  });
  // A worker that exits while the others serve has crashed (or was quit through the admin).
  void firstExit.then(({ index, code }) => {
    if (stopping || code === 0) return;
    log.error(`worker ${index} exited (${code}): stopping the others`);
    for (const worker of workers) worker.process.kill('SIGKILL');
  });
  const codes = await Promise.all(exits);
  admin.stop();
  log.info('exiting');
  return codes.every((code) => code === 0) ? 0 : 1;
}

function waitReady(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: FromWorker) => {
      if (message.kind !== 'ready') return;
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
  });
}
