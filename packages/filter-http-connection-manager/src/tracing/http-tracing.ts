import type { BootstrapConfig, ExtensionEntry, FractionalPercentConfig, PercentConfig, ServerContext, TraceOperation, Tracer, TracerFactory } from '@nodevoy/core';
import type { HcmTracingConfig, RouteTracingConfig } from './tracing-config.js';
import { compileCustomTag, type CustomTag } from './custom-tags.js';
import type { TraceSampling } from './trace-decision.js';

/** Envoy's default for `max_path_tag_length`. */
const DEFAULT_MAX_PATH_TAG_LENGTH = 256;

/** One connection manager's tracing, compiled (Envoy's `TracingConnectionManagerConfig`). */
export interface HttpTracing {
  readonly tracer: Tracer;
  readonly operation: TraceOperation;
  readonly sampling: TraceSampling;
  readonly verbose: boolean;
  readonly maxPathTagLength: number;
  readonly customTags: ReadonlyMap<string, CustomTag>;
  /** Undefined: the router's `start_child_span` decides. */
  readonly spawnUpstreamSpan: boolean | undefined;
  /** The node's id and zone, tags of every downstream span. */
  readonly nodeId: string;
  readonly zone: string;
}

const tenThousandths = (percent: PercentConfig | undefined) => Math.round((percent?.value ?? 100) * 100);

const fractionToTenThousandths = (fraction: FractionalPercentConfig) =>
  ((fraction.numerator ?? 0) * 10_000) / { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[fraction.denominator ?? 'HUNDRED'];

export function compileCustomTags(configs: RouteTracingConfig['custom_tags']): Map<string, CustomTag> {
  return new Map((configs ?? []).map((tag) => [tag.tag, compileCustomTag(tag)]));
}

/**
 * The tracing of a connection manager with a `tracing` block: its provider's tracer, or the
 * bootstrap's `tracing.http` one (undefined without either: the requests are not traced). The
 * operation follows the listener's `traffic_direction`, as Envoy's: egress for OUTBOUND.
 */
export function compileHttpTracing(config: HcmTracingConfig | undefined, direction: string | undefined, server: ServerContext): HttpTracing | undefined {
  if (!config) return undefined;
  const provider: ExtensionEntry | undefined = config.provider ?? (server.bootstrap as BootstrapConfig).tracing?.http;
  if (!provider) return undefined;
  const tracer = (provider.typed.target as TracerFactory).createTracer(provider.typed.config, server);
  return {
    tracer,
    operation: direction === 'OUTBOUND' ? 'egress' : 'ingress',
    sampling: { client: tenThousandths(config.client_sampling), random: tenThousandths(config.random_sampling), overall: tenThousandths(config.overall_sampling) },
    verbose: config.verbose ?? false,
    maxPathTagLength: config.max_path_tag_length ?? DEFAULT_MAX_PATH_TAG_LENGTH,
    customTags: compileCustomTags(config.custom_tags),
    spawnUpstreamSpan: config.spawn_upstream_span,
    nodeId: server.bootstrap.node?.id ?? '',
    zone: server.bootstrap.node?.locality?.zone ?? '',
  };
}

/** A route's `tracing` overrides the connection manager's sampling, and adds (or replaces) custom tags. */
export function routeSampling(base: TraceSampling, route: RouteTracingConfig | undefined): TraceSampling {
  if (!route) return base;
  return {
    client: route.client_sampling ? fractionToTenThousandths(route.client_sampling) : base.client,
    random: route.random_sampling ? fractionToTenThousandths(route.random_sampling) : base.random,
    overall: route.overall_sampling ? fractionToTenThousandths(route.overall_sampling) : base.overall,
  };
}
