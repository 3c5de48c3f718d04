import { compileFormat, FormatError, type Connection, type FormatContext, type Formatter, type Host, type ServerContext, type UpstreamCluster } from '@nodevoy/core';
import { HeaderMap, HeaderMutation, httpPools, upstreamCodec } from '@nodevoy/http';
import type { TunnelingConfig } from './config.js';
import { TunnelUpstream, type TunnelCallbacks } from './tunnel-upstream.js';

/** Filter state that, set to "true" on a connection, turns tunneling off for it (Envoy's key). */
export const DISABLE_TUNNELING = 'envoy.tcp_proxy.disable_tunneling';

/**
 * Opens tcp_proxy tunnels for one `tunneling_config`: the hostname and extra headers are format
 * strings evaluated against the downstream connection (`%DOWNSTREAM_LOCAL_PORT%`...).
 */
export class TunnelOpener {
  readonly propagateResponseHeaders: boolean;
  private readonly hostname: Formatter;
  private readonly headers: HeaderMutation;

  constructor(
    private readonly config: TunnelingConfig,
    private readonly server: ServerContext,
  ) {
    this.propagateResponseHeaders = config.propagate_response_headers ?? false;
    this.hostname = compileChecked(config.hostname, config, 'hostname', server);
    this.headers = new HeaderMutation(config.headers_to_add);
  }

  /** Starts a tunnel attempt; returns how to cancel it. */
  open(cluster: UpstreamCluster, host: Host, downstream: Connection, callbacks: TunnelCallbacks): () => void {
    const context: FormatContext = { localAddress: downstream.localAddress, remoteAddress: downstream.remoteAddress, info: downstream.info };
    const headers = new HeaderMap();
    this.headers.apply(headers, context);
    const tunnel = new TunnelUpstream(upstreamCodec(cluster.info), callbacks);
    tunnel.start(httpPools(this.server), cluster, host, downstream, {
      method: this.config.use_post ? 'POST' : 'CONNECT',
      path: this.config.post_path ?? '/',
      authority: this.hostname(context),
      scheme: 'http',
      headers,
    });
    return () => tunnel.close('now', 'tunnel attempt cancelled');
  }
}

function compileChecked(format: string, config: object, field: string, server: ServerContext): Formatter {
  try {
    return compileFormat(format);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    server.configIssue(config, field, err.message);
    return () => '';
  }
}
