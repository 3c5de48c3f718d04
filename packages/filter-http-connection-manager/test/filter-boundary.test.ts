// The HTTP filter boundary, as strong as the network one: a filter that throws (or whose
// promise rejects) in any callback ends its own stream only (a 500 while nothing was answered,
// else a reset), logged with the stream and counted; `stop` and continue hold and resume both
// directions in order; a promise makes the chain wait at the filter.
import { once } from 'node:events';
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { schema, type NodevoyExtension } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, http2Session, httpConnectionManager, httpRequest, startHttpUpstream, startInProcess, tcpListener } from '@nodevoy/test-kit';
import { HTTP_FILTER_CATEGORY, type EncoderFilterCallbacks, type HttpFilter, type HttpFilterFactory, type HttpFilterResult } from '../src/index.js';

/**
 * A filter steered by request headers: `x-throw: <callback>` throws there (`x-throw-mode:
 * async` rejects a promise instead); `x-hold-response` stops the response headers and continues
 * a turn later; `x-async-request` answers decodeHeaders with a promise.
 */
class ProbeFilter implements HttpFilter {
  private encoder!: EncoderFilterCallbacks;
  private throwIn: string | undefined;
  private async = false;
  private holdResponse = false;

  setEncoderFilterCallbacks(callbacks: EncoderFilterCallbacks): void {
    this.encoder = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterResult {
    this.throwIn = headers.get('x-throw');
    this.async = headers.get('x-throw-mode') === 'async';
    this.holdResponse = headers.has('x-hold-response');
    if (headers.has('x-async-request')) {
      return new Promise((resolve) =>
        setImmediate(() => {
          headers.set('x-async', 'done');
          resolve('continue');
        }),
      );
    }
    return this.maybeThrow('decodeHeaders');
  }

  decodeData(): HttpFilterResult {
    return this.maybeThrow('decodeData');
  }

  encodeHeaders(headers: HeaderMap): HttpFilterResult {
    if (this.holdResponse) {
      setImmediate(() => {
        headers.set('x-held', 'yes');
        this.encoder.continueEncoding();
      });
      return 'stop';
    }
    return this.maybeThrow('encodeHeaders');
  }

  encodeData(): HttpFilterResult {
    return this.maybeThrow('encodeData');
  }

  onDestroy(): void {
    if (this.throwIn === 'onDestroy') throw new Error('probe threw in onDestroy');
  }

  private maybeThrow(callback: string): HttpFilterResult {
    if (this.throwIn !== callback) return 'continue';
    const error = new Error(`probe threw in ${callback}`);
    if (this.async) return Promise.reject(error);
    throw error;
  }
}

let factoryCalls = 0;
const probe: HttpFilterFactory = {
  name: 'nodevoy.test.probe',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/nodevoy.test.v1.Probe'],
  configSchema: schema.message('nodevoy.test.v1.Probe', { throw_in_factory_on_call: schema.uint32() }),
  isTerminalFilter: false,
  createFilterFactory(config) {
    const throwOn = (config as { throw_in_factory_on_call?: number }).throw_in_factory_on_call;
    return (addFilter) => {
      if (++factoryCalls === throwOn) throw new Error('probe factory threw');
      addFilter(new ProbeFilter());
    };
  },
};
const probeExtension: NodevoyExtension = { name: 'probe', coreRange: '^0.1.0', register: (registry) => void registry.add(probe) };

const PROBE = `          - name: probe
            typed_config: { "@type": type.googleapis.com/nodevoy.test.v1.Probe, throw_in_factory_on_call: 1 }
`;

t.test('HTTP filter boundary', async (t) => {
  // The upstream streams its body in two parts, so encodeData is called after the headers went out.
  const upstream = await startHttpUpstream(t, (request, response) => {
    response.setHeader('x-async-seen', request.headers['x-async'] ?? 'none');
    response.write(`first part for ${request.url};`);
    setImmediate(() => response.end(' second part'));
  });
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ httpFilters: PROBE, routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n') }))}  clusters:
${cluster('backend', [{ port: upstream.port }])}`,
    [probeExtension],
  );
  const port = proxy.port('http');
  const get = (path: string, headers: Record<string, string> = {}) => httpRequest(port, { path, headers });

  t.test('a throwing filter factory: that request gets a 500, the next one is served', async (t) => {
    const first = await get('/factory');
    t.equal(first.status, 500);
    t.equal(first.body, 'filter error');
    t.equal((await get('/next')).body, 'first part for /next; second part');
    t.match(proxy.logs.join('\n'), /\[C\d+\]\[S\d+\] HTTP filter threw in filter factory: probe factory threw/);
  });

  for (const mode of ['sync', 'async'] as const) {
    for (const callback of ['decodeHeaders', 'decodeData', 'encodeHeaders']) {
      t.test(`${callback} ${mode === 'sync' ? 'throws' : 'rejects'}: 500, logged with the stream, counted`, async (t) => {
        const before = proxy.stat('http.ingress.downstream_rq_filter_error');
        const response = await httpRequest(port, { method: 'POST', path: `/${callback}`, headers: { 'x-throw': callback, 'x-throw-mode': mode }, body: 'a body' });
        t.equal(response.status, 500);
        t.equal(response.body, 'filter error');
        t.equal(proxy.stat('http.ingress.downstream_rq_filter_error'), before + 1);
        t.match(proxy.logs.at(-1), new RegExp(`\\[C\\d+\\]\\[S\\d+\\] HTTP filter threw in ${callback}: probe threw in ${callback}`));
        t.equal((await get('/after')).status, 200, 'the next request is served');
      });
    }
  }

  t.test('encodeData throws after the headers went out: the stream is reset, other streams on the same HTTP/2 connection carry on', async (t) => {
    const session = await http2Session(t, port);
    const broken = session.request({ ':path': '/broken', ':authority': 'a', 'x-throw': 'encodeData' });
    const brokenError = once(broken, 'error');
    const fine = session.request({ ':path': '/fine', ':authority': 'a' });
    const [brokenHeaders] = (await once(broken, 'response')) as [IncomingHttpHeaders];
    t.equal(brokenHeaders[':status'], 200, 'the headers had gone out');
    const [error] = (await brokenError) as [Error];
    t.match(error.message, /NGHTTP2_INTERNAL_ERROR/);
    t.equal(broken.rstCode, constants.NGHTTP2_INTERNAL_ERROR, 'RST_STREAM, as Envoy resets a stream whose response broke');
    t.equal(await bodyOf(fine), 'first part for /fine; second part');
  });

  t.test('onDestroy throws: logged, the response was whole', async (t) => {
    const response = await get('/destroy', { 'x-throw': 'onDestroy' });
    t.equal(response.body, 'first part for /destroy; second part');
    t.match(proxy.logs.join('\n'), /HTTP filter threw in onDestroy: probe threw in onDestroy/);
  });

  t.test('encodeHeaders stops, then continues: the held body follows the headers, whole and in order', async (t) => {
    const response = await get('/held', { 'x-hold-response': '1' });
    t.equal(response.headers['x-held'], 'yes', 'the filter changed the headers while they were held');
    t.equal(response.body, 'first part for /held; second part');
  });

  t.test('decodeHeaders answers with a promise: the request waits for it, then goes on', async (t) => {
    const response = await get('/async', { 'x-async-request': '1' });
    t.equal(response.headers['x-async-seen'], 'done');
    t.equal(response.body, 'first part for /async; second part');
  });
});

async function bodyOf(stream: ClientHttp2Stream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

