// Stream clocks with real, stalling upstreams: max_stream_duration (connection manager and
// route) ends a stream however busy it is: 504 before the response, a reset after; a retry
// policy's per_try_idle_timeout ends an attempt that stalls, and may retry it.
import t from 'tap';
import type { ServerResponse } from 'node:http';
import { schema } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type DecoderFilterCallbacks, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import { httpProxyBootstrap, httpRequest, startHttpUpstream, startInProcess, type TestLike } from '@nodevoy/test-kit';

/** Never answers /stall; /trickle sends headers and a byte, then stalls; anything else answers at once. */
const stalling = (t: TestLike, held: ServerResponse[]) =>
  startHttpUpstream(t, (request, response) => {
    held.push(response);
    if (request.url?.includes('stall')) return;
    if (request.url?.includes('trickle')) {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('x');
      return;
    }
    response.end('quick');
  });

t.test('the connection manager’s max_stream_duration: 504 before the response', async (t) => {
  const held: ServerResponse[] = [];
  const upstream = await stalling(t, held);
  t.teardown(() => held.forEach((r) => r.destroy()));
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], { hcmExtra: '          common_http_protocol_options: { max_stream_duration: 0.2s }\n' }),
  );
  const response = await httpRequest(proxy.port('http'), { path: '/stall' });
  t.equal(response.status, 504, 'Envoy answers 504 here, not 408');
  t.equal(response.body, 'downstream duration timeout');
  t.equal(proxy.stat('http.ingress.downstream_rq_max_duration_reached'), 1);
  t.equal((await httpRequest(proxy.port('http'), { path: '/fast' })).body, 'quick', 'a quick stream is not affected');
});

t.test('a route’s max_stream_duration replaces it; after the response began, the stream is reset', async (t) => {
  const held: ServerResponse[] = [];
  const upstream = await stalling(t, held);
  t.teardown(() => held.forEach((r) => r.destroy()));
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      hcmExtra: '          common_http_protocol_options: { max_stream_duration: 3600s }\n',
      routes: '              - { match: { prefix: / }, route: { cluster: backend, max_stream_duration: { max_stream_duration: 0.2s } } }\n',
    }),
  );
  await t.rejects(httpRequest(proxy.port('http'), { path: '/trickle' }), 'the client sees the stream cut mid-body');
  t.equal(proxy.stat('http.ingress.downstream_rq_max_duration_reached'), 1);
});

t.test('per_try_idle_timeout: a stalled attempt ends with 504, or is retried', async (t) => {
  const held: ServerResponse[] = [];
  const upstream = await stalling(t, held);
  t.teardown(() => held.forEach((r) => r.destroy()));
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      routes:
        '              - { match: { prefix: /retry }, route: { cluster: backend, retry_policy: { retry_on: 5xx, num_retries: 1, per_try_idle_timeout: 0.1s, retry_back_off: { base_interval: 0.001s } } } }\n' +
        '              - { match: { prefix: / }, route: { cluster: backend, retry_policy: { per_try_idle_timeout: 0.1s } } }\n',
    }),
  );
  const response = await httpRequest(proxy.port('http'), { path: '/stall' });
  t.equal(response.status, 504);
  t.equal(response.body, 'upstream request timeout');
  t.equal(proxy.stat('cluster.backend.upstream_rq_per_try_idle_timeout'), 1);
  const retried = await httpRequest(proxy.port('http'), { path: '/retry/stall' });
  t.equal(retried.status, 504);
  t.equal(proxy.stat('cluster.backend.upstream_rq_per_try_idle_timeout'), 3, 'the retry stalled too');
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry'), 1);
  await t.rejects(httpRequest(proxy.port('http'), { path: '/trickle' }), 'a response that stalls midway is reset');
});

t.test('a filter that clears the route cache gets the new route’s max_stream_duration', async (t) => {
  const held: ServerResponse[] = [];
  const upstream = await stalling(t, held);
  t.teardown(() => held.forEach((r) => r.destroy()));
  // A filter that sends the request to the slow lane by a header, then asks for the route again.
  const laneSwitch: HttpFilterFactory<Record<string, never>> = {
    name: 'test.lane_switch',
    category: HTTP_FILTER_CATEGORY,
    typeUrls: ['type.googleapis.com/test.LaneSwitch'],
    configSchema: schema.empty('test.LaneSwitch'),
    isTerminalFilter: false,
    createFilterFactory: () => (addFilter) => {
      let callbacks: DecoderFilterCallbacks;
      addFilter({
        setDecoderFilterCallbacks: (c) => void (callbacks = c),
        decodeHeaders: (headers) => {
          headers.set('x-lane', 'bounded');
          callbacks.clearRouteCache();
          return 'continue';
        },
      });
    },
  };
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      httpFilters: '          - name: lane\n            typed_config: { "@type": type.googleapis.com/test.LaneSwitch }\n',
      routes:
        '              - { match: { prefix: /, headers: [{ name: x-lane, exact_match: bounded }] }, route: { cluster: backend, max_stream_duration: { max_stream_duration: 0.2s } } }\n' +
        '              - { match: { prefix: / }, route: { cluster: backend } }\n',
    }),
    [{ name: 'lane-switch', coreRange: '*', register: (registry) => void registry.add(laneSwitch) }],
  );
  const response = await httpRequest(proxy.port('http'), { path: '/stall' });
  t.equal(response.status, 504, 'the bounded route’s duration applies');
  t.equal(proxy.stat('http.ingress.downstream_rq_max_duration_reached'), 1);
});
