import type { Host, PoolFailureReason, UpstreamCluster, UpstreamRequester, WorkerContext } from '@nodevoy/core';
import { ConnectionDuplex } from '../connection-duplex.js';
import type { UpstreamCodec } from '../protocol-options.js';
import type { UpstreamFailure } from './types.js';

/** How a pool opens a connection: the codec it will speak (undefined: ALPN will say), and what to offer ALPN. */
export interface UpstreamConnectOptions {
  readonly codec?: UpstreamCodec;
  readonly requester?: UpstreamRequester | undefined;
  readonly alpnFallback?: readonly string[];
}

/** Counts a new connection under its codec (`upstream_cx_http1_total`, `upstream_cx_http2_total`). */
export function countCodec(cluster: UpstreamCluster, codec: UpstreamCodec): void {
  if (codec === 'http1') cluster.info.stats.upstream_cx_http1_total.inc();
  else cluster.info.stats.upstream_cx_http2_total.inc();
}

/** Why an upstream connection for HTTP could not be opened, in Envoy's reset-reason words. */
export class UpstreamConnectError extends Error {
  readonly code = 'ENVOY_UPSTREAM_CONNECT';
  constructor(
    readonly reason: PoolFailureReason,
    detail: string,
  ) {
    super(detail);
  }

  /** What a request that waited for this connection reports. */
  get failure(): UpstreamFailure {
    return { kind: this.reason === 'Overflow' ? 'overflow' : 'connect', resetReason: this.resetReason, detail: this.message };
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

/**
 * Opens a nodevoy upstream connection to a host and returns it at once as a Duplex that
 * connects later: what node:http2's `createConnection` needs.
 */
export function connectUpstream(cluster: UpstreamCluster, host: Host, worker: WorkerContext, options: UpstreamConnectOptions): ConnectionDuplex {
  const duplex = new ConnectionDuplex();
  if (options.codec) countCodec(cluster, options.codec);
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
    { countsAsRequest: false, requester: options.requester, ...(options.alpnFallback ? { alpnFallback: options.alpnFallback } : {}) },
  );
  duplex.once('close', () => {
    if (duplex.connecting) handle.cancel();
  });
  return duplex;
}
