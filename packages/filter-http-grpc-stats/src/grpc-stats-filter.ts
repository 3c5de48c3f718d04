import type { ServerContext, StatsScope } from '@nodevoy/core';
import type { DecoderFilterCallbacks, HttpFilter, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import { chargeGrpcStatus, grpcServiceAndMethod, hasGrpcContentType, type HeaderMap } from '@nodevoy/http';
import { GrpcMessageCounter } from './grpc-message-counter.js';

/** Which calls get per-method stats: all, an allowlist of services' methods, or none. */
export type MethodStats = { readonly all: boolean; readonly allowed: ReadonlyMap<string, ReadonlySet<string>> };

const GRPC_WEB_TYPES = ['application/grpc-web', 'application/grpc-web-text'];

const isGrpcWeb = (headers: HeaderMap) => GRPC_WEB_TYPES.some((type) => headers.get('content-type')?.startsWith(type) === true);

/**
 * `envoy.filters.http.grpc_stats` on one request (Envoy's GrpcStatsFilter): a gRPC (or
 * gRPC-Web) call routed to a cluster is counted under `cluster.<name>.grpc.` (`grpc-web.`), per
 * `<service>.<method>.` when the config asks for it: its status once known (from trailers, or a
 * trailers-only answer's headers), and the messages each way.
 */
export class GrpcStatsFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private scope: StatsScope | undefined;
  private prefix = '';
  private readonly requestMessages = new GrpcMessageCounter();
  private readonly responseMessages = new GrpcMessageCounter();
  private charged = false;

  constructor(
    private readonly server: ServerContext,
    private readonly methodStats: MethodStats,
    private readonly replaceDots: boolean,
  ) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const protocol = hasGrpcContentType(headers) ? 'grpc' : isGrpcWeb(headers) ? 'grpc-web' : undefined;
    const cluster = this.callbacks.route()?.action?.cluster;
    if (protocol === undefined || cluster === undefined) return 'continue';
    this.scope = this.server.clusterManager.getCluster(cluster)?.info.statsScope;
    const names = grpcServiceAndMethod(headers.get(':path') ?? '');
    const perMethod = names !== undefined && (this.methodStats.all || this.methodStats.allowed.get(names.service)?.has(names.method) === true);
    const service = names && this.replaceDots ? names.service.replaceAll('.', '_') : names?.service;
    this.prefix = perMethod ? `${protocol}.${service}.${names.method}.` : `${protocol}.`;
    return 'continue';
  }

  decodeData(data: Buffer): HttpFilterStatus {
    this.count('request_message_count', this.requestMessages.inspect(data));
    return 'continue';
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterStatus {
    if (endStream) this.charge(headers.get('grpc-status'));
    return 'continue';
  }

  encodeData(data: Buffer): HttpFilterStatus {
    this.count('response_message_count', this.responseMessages.inspect(data));
    return 'continue';
  }

  encodeTrailers(trailers: HeaderMap): HttpFilterStatus {
    this.charge(trailers.get('grpc-status'));
    return 'continue';
  }

  private count(stat: 'request_message_count' | 'response_message_count', messages: number): void {
    if (this.scope && messages > 0) this.scope.counter(`${this.prefix}${stat}`).inc(messages);
  }

  private charge(grpcStatus: string | undefined): void {
    if (!this.scope || grpcStatus === undefined || this.charged) return;
    this.charged = true;
    chargeGrpcStatus(this.scope, this.prefix, grpcStatus);
  }
}
