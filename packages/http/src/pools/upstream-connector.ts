import type { Host, PoolFailureReason, UpstreamCluster, UpstreamRequester, WorkerContext } from '@nodevoy/core';
import { ConnectionDuplex } from '../connection-duplex.js';

/** Why an upstream connection for HTTP could not be opened, in Envoy's reset-reason words. */
export class UpstreamConnectError extends Error {
  readonly code = 'ENVOY_UPSTREAM_CONNECT';
  constructor(
    readonly reason: PoolFailureReason,
    detail: string,
  ) {
    super(detail);
  }

  /** Envoy's `reset reason:` text for a local reply. */
  get resetReason(): string {
    switch (this.reason) {
      case 'Overflow':
        return 'overflow';
      case 'Timeout':
        return 'connection timeout';
      case 'LocalConnectionFailure':
        return 'local connection failure';
      default:
        return 'remote connection failure';
    }
  }
}

/** How an HTTP/1.1 request hands its requester through node:http's Agent to `connectUpstream`. */
export const REQUESTER = Symbol('nodevoy upstream requester');

/** The requester a request passed in its options (undefined: none). */
export function requesterOf(options: object): UpstreamRequester | undefined {
  return (options as { [REQUESTER]?: UpstreamRequester })[REQUESTER];
}

/**
 * Opens a nodevoy upstream connection to a host and returns it at once as a Duplex that
 * connects later: what node:http's Agent and node:http2's `createConnection` need.
 */
export function connectUpstream(
  cluster: UpstreamCluster,
  host: Host,
  worker: WorkerContext,
  codec: 'http1' | 'http2',
  requester: UpstreamRequester | undefined,
): ConnectionDuplex {
  const duplex = new ConnectionDuplex();
  const stats = cluster.info.stats;
  if (codec === 'http1') stats.upstream_cx_http1_total.inc();
  else stats.upstream_cx_http2_total.inc();
  const handle = cluster.newTcpConnection(
    host,
    worker,
    {
      onPoolReady: (connection) => {
        if (duplex.destroyed) connection.close('NoFlush', 'request gone');
        else duplex.attach(connection);
      },
      onPoolFailure: (reason, detail) => duplex.destroy(new UpstreamConnectError(reason, detail)),
    },
    { countsAsRequest: false, requester },
  );
  duplex.once('close', () => {
    if (duplex.connecting) handle.cancel();
  });
  return duplex;
}
