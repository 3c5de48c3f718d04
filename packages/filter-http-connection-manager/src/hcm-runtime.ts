import type { AccessLogger, DrainDecision, Logger, RequestPassthroughRegistry } from '@nodevoy/core';
import type { ClientCertDetails, ForwardClientCert } from './client-cert-header.js';
import type { HttpConnectionManagerConfig } from './config/hcm-config.js';
import type { HttpFilterChainEntry } from './http-filter.js';
import type { RouteResolver } from './routing/route-table.js';
import type { PathNormalization, UnderscoresAction } from './request-normalization.js';
import type { HcmStats } from './stats.js';
import type { ForwardedForPolicy } from './forwarded-for.js';
import type { HttpTracing } from './tracing/http-tracing.js';

/** What every stream of one connection manager config shares. */
export interface HcmRuntime {
  readonly config: HttpConnectionManagerConfig;
  readonly stats: HcmStats;
  readonly routes: RouteResolver;
  readonly filterFactories: readonly HttpFilterChainEntry[];
  readonly log: Logger;
  readonly serverName: string;
  readonly serverHeader: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  readonly acceptHttp10: boolean;
  /** `proxy_100_continue`: Expect goes upstream and the upstream's 100 comes back (else answered here). */
  readonly proxy100Continue: boolean;
  /** `stream_idle_timeout` (default 5 min) and `request_timeout` (default off), in ms; 0 is off. */
  readonly streamIdleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** `common_http_protocol_options.max_stream_duration` (default off), in ms; 0 is off. */
  readonly maxStreamDurationMs: number;
  readonly stripHostPort: 'any' | 'matching' | undefined;
  readonly pathNormalization: PathNormalization;
  readonly headersWithUnderscoresAction: UnderscoresAction;
  readonly via: string | undefined;
  /** `common_http_protocol_options.max_requests_per_connection`; 0 is unlimited. */
  readonly maxRequestsPerConnection: number;
  /** `common_http_protocol_options.idle_timeout` (default 1 h): a connection with no request. */
  readonly connectionIdleTimeoutMs: number;
  /** `common_http_protocol_options.max_connection_duration` (default off), in ms; 0 is off. */
  readonly maxConnectionDurationMs: number;
  /** Whether responses should start closing their connections (the listener drains, the server is health-check-failed). */
  readonly drainDecision: DrainDecision;
  /** `use_remote_address`, `xff_num_trusted_hops`, `skip_xff_append`, `internal_address_config`. */
  readonly forwardedFor: ForwardedForPolicy;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  /** `forward_client_cert_details` and `set_current_client_cert_details`: the x-forwarded-client-cert header. */
  readonly forwardClientCert: ForwardClientCert;
  readonly clientCertDetails: ClientCertDetails;
  /** Where requests arriving over an internal hop find their per-request passthrough. */
  readonly requestPassthrough: RequestPassthroughRegistry;
  /** One line per finished request (`access_log`). */
  readonly accessLoggers: readonly AccessLogger[];
  /** `tracing` with a provider (its own, or the bootstrap's): a span per request. */
  readonly tracing: HttpTracing | undefined;
  nextStreamId(): number;
}
