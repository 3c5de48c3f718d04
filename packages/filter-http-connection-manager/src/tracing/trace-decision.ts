import type { HeaderMap } from '@nodevoy/http';

/** Sampling shares in ten-thousandths (Envoy reads `Percent`s as `FractionalPercent` out of 10000). */
export interface TraceSampling {
  readonly client: number;
  readonly random: number;
  readonly overall: number;
}

/**
 * Envoy's UUID request id extension keeps the tracing decision in the version nibble of
 * `x-request-id`, so it travels with the request to the next hop.
 */
const STATUS_AT = 14;
const STATUS = { sampled: '9', forced: 'a', client: 'b', none: '4' } as const;
type TraceStatus = keyof typeof STATUS;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function statusOf(id: string): TraceStatus {
  const nibble = id[STATUS_AT]?.toLowerCase();
  return nibble === STATUS.sampled ? 'sampled' : nibble === STATUS.client ? 'client' : nibble === STATUS.forced ? 'forced' : 'none';
}

const withStatus = (id: string, status: TraceStatus) => `${id.slice(0, STATUS_AT)}${STATUS[status]}${id.slice(STATUS_AT + 1)}`;

/**
 * Envoy's `mutateTracingRequestHeader`: a request not yet traced becomes traced by the client
 * (`x-client-trace-id`, `client_sampling`), by force (`x-envoy-force-trace`, trusted requests
 * only: the connection manager drops it from the edge), or by `random_sampling` over the request
 * id; `overall_sampling` can still say no. The verdict is written into `x-request-id`.
 */
export function markTraceStatus(headers: HeaderMap, sampling: TraceSampling): void {
  const id = headers.get('x-request-id');
  if (id === undefined || !UUID.test(id)) return;
  const draw = Number.parseInt(id.slice(0, 8), 16) % 10_000;
  let status = statusOf(id);
  if (status === 'none') {
    if (headers.has('x-client-trace-id') && Math.random() * 10_000 < sampling.client) status = 'client';
    else if (headers.has('x-envoy-force-trace')) status = 'forced';
    else if (draw < sampling.random) status = 'sampled';
  }
  if (draw >= sampling.overall) status = 'none';
  if (status !== statusOf(id)) headers.set('x-request-id', withStatus(id, status));
}

/** Envoy's `isTracing`: whether the request's id says trace it (never a health check). */
export function isTraced(headers: HeaderMap, healthCheck: boolean): boolean {
  const id = headers.get('x-request-id');
  return !healthCheck && id !== undefined && UUID.test(id) && statusOf(id) !== 'none';
}
