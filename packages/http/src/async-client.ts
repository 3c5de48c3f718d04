import type { ServerContext, UpstreamRequester, WorkerContext } from '@nodevoy/core';
import { HeaderMap } from './headers.js';
import { httpPools } from './pools/http-pools.js';
import { countUpstreamResponse } from './pools/response-stats.js';
import type { RequestHead, UpstreamRequest } from './pools/types.js';

/** A whole request a filter sends to a cluster (Envoy's `AsyncClient::send`). */
export interface AsyncRequest {
  readonly cluster: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  /** Regular headers only. */
  readonly headers: HeaderMap;
  readonly body?: Buffer;
  /** 0: no timeout. */
  readonly timeoutMs: number;
  /** Response body bytes kept; past it the request fails as reset (Envoy's async client buffer limit). */
  readonly maxResponseBytes?: number;
}

/** The whole answer. Failures before an answer come as Envoy's router would answer them: 503, or 504 on timeout. */
export interface AsyncResponse {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: Buffer;
  readonly trailers: HeaderMap;
}

/** The outcome of an async request: its answer, or `reset` when it was abandoned after the answer began. */
export type AsyncOutcome = { readonly kind: 'response'; readonly response: AsyncResponse } | { readonly kind: 'reset' };

export interface AsyncRequestHandle {
  readonly outcome: Promise<AsyncOutcome>;
  /** Abandons the request (the stream that asked went away); the outcome never settles. */
  cancel(): void;
}

/** Envoy's async client body limit when none is asked for. */
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** A local answer in the router's place, counted in the cluster's stats as the router counts it. */
function localAnswer(status: number, body: string): AsyncOutcome {
  return { kind: 'response', response: { status, headers: HeaderMap.from([['content-type', 'text/plain']]), body: Buffer.from(body), trailers: new HeaderMap() } };
}

/**
 * Envoy's async HTTP client: one request through a cluster's pools (its balancer, circuit
 * breakers, transport socket and stats), answered whole. Marked internal with the timeout it
 * expects (`x-envoy-internal`, `x-envoy-expected-rq-timeout-ms`), as Envoy's router marks it. An
 * unknown cluster, no healthy host or a failed connection answers 503, the timeout 504; an
 * answer reset midway resolves `reset`.
 */
export function sendAsyncRequest(server: ServerContext, worker: WorkerContext, requester: UpstreamRequester | undefined, request: AsyncRequest): AsyncRequestHandle {
  let cancel = () => {};
  const outcome = new Promise<AsyncOutcome>((resolve) => {
    const cluster = server.clusterManager.getCluster(request.cluster);
    if (!cluster) return resolve(localAnswer(503, 'no cluster'));
    const host = cluster.chooseHost({ requestHeaders: request.headers });
    if (!host) {
      countUpstreamResponse(cluster, 503);
      cluster.info.stats.upstream_cx_none_healthy.inc();
      return resolve(localAnswer(503, 'no healthy upstream'));
    }
    const headers = request.headers.clone();
    headers.set('x-envoy-internal', 'true');
    if (request.timeoutMs > 0) headers.set('x-envoy-expected-rq-timeout-ms', String(request.timeoutMs));
    const head: RequestHead = { method: request.method, path: request.path, authority: request.authority, scheme: 'http', headers };
    const maxBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    let status = 0;
    let responseHeaders = new HeaderMap();
    const chunks: Buffer[] = [];
    let received = 0;
    let timer: NodeJS.Timeout | undefined;
    let upstream: UpstreamRequest | undefined;
    let settled = false;
    const finish = (result: AsyncOutcome) => {
      settled = true;
      clearTimeout(timer);
      upstream = undefined;
      resolve(result);
    };
    const answered = (trailers: HeaderMap) => {
      countUpstreamResponse(cluster, status);
      finish({ kind: 'response', response: { status, headers: responseHeaders, body: Buffer.concat(chunks), trailers } });
    };
    const endStream = !request.body || request.body.length === 0;
    upstream = httpPools(server).request(cluster, host, worker, head, endStream, requester, {
      onAssigned() {},
      onResponseHeaders(response, end) {
        if (settled) return;
        status = response.status;
        responseHeaders = response.headers;
        if (end) answered(new HeaderMap());
      },
      onResponseData(data, end) {
        if (settled) return;
        received += data.length;
        if (received > maxBytes) {
          const abandoned = upstream;
          finish({ kind: 'reset' });
          abandoned?.reset();
          return;
        }
        chunks.push(data);
        if (end) answered(new HeaderMap());
      },
      onResponseTrailers(trailers) {
        if (!settled) answered(trailers);
      },
      onFailure() {
        if (settled) return;
        if (status !== 0) return finish({ kind: 'reset' });
        countUpstreamResponse(cluster, 503);
        finish(localAnswer(503, 'upstream connect error or disconnect/reset before headers'));
      },
      onWritable() {},
    });
    if (!endStream) upstream.sendData(request.body as Buffer, true);
    if (request.timeoutMs > 0) {
      timer = setTimeout(() => {
        const timedOut = upstream;
        cluster.info.stats.upstream_rq_timeout.inc();
        if (status !== 0) finish({ kind: 'reset' });
        else {
          countUpstreamResponse(cluster, 504);
          finish(localAnswer(504, 'upstream request timeout'));
        }
        timedOut?.reset();
      }, request.timeoutMs);
    }
    cancel = () => {
      settled = true;
      clearTimeout(timer);
      const cancelled = upstream;
      upstream = undefined;
      cancelled?.reset();
    };
  });
  return { outcome, cancel: () => cancel() };
}
