import type { AdminResponse, StatsSnapshot } from '@nodevoy/core';

/** What the primary asks a worker process. */
export type ToWorker =
  | { readonly kind: 'admin'; readonly id: number; readonly method: string; readonly path: string; readonly query: string; readonly otherStats?: StatsSnapshot[] }
  | { readonly kind: 'stats'; readonly id: number }
  | { readonly kind: 'signal'; readonly signal: string };

/** What a worker process tells the primary. */
export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'admin'; readonly id: number; readonly response: AdminResponse }
  | { readonly kind: 'stats'; readonly id: number; readonly snapshot: StatsSnapshot };

/** The environment a worker is forked with: its index and the worker count. */
export const WORKER_INDEX_ENV = 'NODEVOY_WORKER_INDEX';
export const WORKER_COUNT_ENV = 'NODEVOY_WORKER_COUNT';
