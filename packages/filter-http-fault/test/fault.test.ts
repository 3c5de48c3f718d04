// envoy.filters.http.fault through a real connection manager: aborts answered here with the
// configured status, delays held before the request goes on, faults chosen by header and route,
// x-envoy-fault-* headers for header-controlled faults, max_active_faults, and fault.* stats.
import t from 'tap';
import { connectTo, fileAccessLog, httpProxyBootstrap, httpRequest, scratchDir, startHttpUpstream, startInProcess, waitForLines, type TestLike } from '@nodevoy/test-kit';

const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

async function setup(t: TestLike, fault: string, routes?: string) {
  const upstream = await startHttpUpstream(t);
  const log = `${scratchDir(t)}/access.log`;
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      hcmExtra: fileAccessLog(log, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%\n'),
      httpFilters: `          - name: envoy.filters.http.fault
            typed_config:
              "@type": ${FAULT}
${fault}`,
      ...(routes ? { routes } : {}),
    }),
  );
  const get = (path: string, headers: Record<string, string> = {}) => httpRequest(proxy.port('http'), { path, headers });
  return { proxy, upstream, get, log };
}

t.test('an abort for every request carrying x-chaos: 503 fault filter abort, FI, aborts_injected', async (t) => {
  const { proxy, upstream, get, log } = await setup(
    t,
    `              abort: { http_status: 503, percentage: { numerator: 100 } }
              headers: [{ name: x-chaos, present_match: true }]
`,
  );
  const aborted = await get('/a', { 'x-chaos': '1' });
  t.equal(aborted.status, 503);
  t.equal(aborted.body, 'fault filter abort');
  t.equal((await get('/b')).status, 200, 'a request without the header is untouched');
  t.equal(upstream.requests.length, 1);
  t.equal(proxy.stat('http.ingress.fault.aborts_injected'), 1);
  t.same(await waitForLines(log, 2), ['/a 503 FI fault_filter_abort', '/b 200 - via_upstream']);
});

t.test('a fixed delay, then the request goes on; DI; a downstream cluster counts its own', async (t) => {
  const { proxy, upstream, get, log } = await setup(t, '              delay: { fixed_delay: 0.05s, percentage: { numerator: 100 } }\n');
  const delayed = await get('/slow', { 'x-envoy-downstream-service-cluster': 'checkout' });
  t.equal(delayed.status, 200);
  t.equal(upstream.requests.length, 1);
  t.equal(proxy.stat('http.ingress.fault.delays_injected'), 1);
  t.equal(proxy.stat('http.ingress.fault.checkout.delays_injected'), 1);
  t.same(await waitForLines(log, 1), ['/slow 200 DI via_upstream']);
  t.equal(proxy.stat('http.ingress.fault.active_faults'), 0, 'no fault left in flight');
});

t.test('header faults: the status and delay come from x-envoy-fault-* headers; none without them', async (t) => {
  const { proxy, get } = await setup(
    t,
    `              abort: { header_abort: {}, percentage: { numerator: 100 } }
              delay: { header_delay: {}, percentage: { numerator: 100 } }
`,
  );
  t.equal((await get('/x', { 'x-envoy-fault-abort-request': '429' })).status, 429);
  t.equal((await get('/x', { 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-abort-request-percentage': '0' })).status, 200, 'the header’s percentage');
  t.equal((await get('/x', { 'x-envoy-fault-delay-request': '20', 'x-envoy-fault-abort-request': '418' })).status, 418, 'delayed, then aborted');
  t.equal((await get('/x')).status, 200);
  t.equal(proxy.stat('http.ingress.fault.aborts_injected'), 2);
  t.equal(proxy.stat('http.ingress.fault.delays_injected'), 1);
});

t.test('a route’s HTTPFault replaces the filter’s; upstream_cluster limits faults to one cluster', async (t) => {
  const routes = `              - match: { prefix: /teapot }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.fault:
                    "@type": ${FAULT}
                    abort: { http_status: 418, percentage: { numerator: 100 } }
              - { match: { prefix: / }, route: { cluster: backend } }
`;
  const { get } = await setup(t, '              abort: { http_status: 500, percentage: { numerator: 100 } }\n              upstream_cluster: elsewhere\n', routes);
  t.equal((await get('/teapot')).status, 418);
  t.equal((await get('/other')).status, 200, 'the filter’s fault targets another cluster');
});

t.test('max_active_faults: a fault past the limit is not injected (faults_overflow)', async (t) => {
  const { proxy, get } = await setup(t, '              delay: { fixed_delay: 3600s, percentage: { numerator: 100 } }\n              max_active_faults: 1\n');
  const held = await connectTo(t, proxy.port('http'));
  held.write('GET /held HTTP/1.1\r\nhost: example.test\r\n\r\n');
  await proxy.waitForStat('http.ingress.fault.active_faults', (n) => n === 1);
  t.equal((await get('/2')).status, 200, 'served at once: the one fault allowed is taken');
  t.equal(proxy.stat('http.ingress.fault.faults_overflow'), 1);
  held.destroy();
  await proxy.waitForStat('http.ingress.fault.active_faults', (n) => n === 0);
  t.equal(proxy.stat('http.ingress.fault.delays_injected'), 1);
});
