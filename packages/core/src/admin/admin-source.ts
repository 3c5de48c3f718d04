import type { Address } from '../network/address.js';
import type { CertificateGroup } from './certificates.js';
import type { Runtime } from '../runtime/runtime.js';
import type { StatsStore } from '../stats/store.js';
import type { Cluster } from '../upstream/cluster.js';

/** Envoy's server states, as `/server_info` and `server.state` report them. */
export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING' | 'INITIALIZING';

/** What the admin endpoints read from a server. */
export interface AdminSource {
  readonly stats: StatsStore;
  readonly runtime: Runtime;
  readonly state: ServerState;
  readonly startTimeMs: number;
  listenerAddresses(): { name: string; address: Address }[];
  clusters(): readonly Cluster[];
  serverInfo(): Record<string, unknown>;
  configDump(): Record<string, unknown>;
  /** `/certs`: the certificates of every TLS context. */
  certificates(): CertificateGroup[];
  /** `/quitquitquit`: exit as on SIGTERM. */
  quit(): void;
  /** `/drain_listeners`: stop accepting and drain. */
  drainListeners(): void;
  /** `/healthcheck/fail` (true) and `/healthcheck/ok` (false). */
  setHealthCheckFailed(failed: boolean): void;
}
