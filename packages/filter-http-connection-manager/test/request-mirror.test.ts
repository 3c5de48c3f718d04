// request_mirror_policies: each request is copied to the mirror cluster (authority with
// -shadow, body streamed along, marked internal as Envoy marks its shadows), its answer
// ignored; a mirror that is down or sampled out never changes what the client gets.
import t from 'tap';
import { closedPort, httpProxyBootstrap, httpRequest, startHttpUpstream, startInProcess, waitFor } from '@nodevoy/test-kit';

const twoClusters = (mainPort: number, shadowPort: number, mirror: string) => {
  const yaml = httpProxyBootstrap([{ port: mainPort }], {
    routes: `              - { match: { prefix: / }, route: { cluster: backend, request_mirror_policies: [${mirror}] } }\n`,
  });
  return `${yaml}  - name: shadow\n    load_assignment: { cluster_name: shadow, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${shadowPort} } } } }] }] }\n`;
};

t.test('the shadow gets the request and its body; the client gets the main answer', async (t) => {
  const main = await startHttpUpstream(t, (_req, res) => res.end('main'));
  const shadow = await startHttpUpstream(t, (_req, res) => {
    res.statusCode = 500;
    res.end('shadow answer is ignored');
  });
  const proxy = await startInProcess(t, twoClusters(main.port, shadow.port, '{ cluster: shadow }'));
  const body = 'x'.repeat(100_000);
  const response = await httpRequest(proxy.port('http'), { method: 'POST', path: '/orders?id=7', headers: { host: 'api.test:8080' }, body });
  t.equal(response.status, 200);
  t.equal(response.body, 'main');
  const copy = await waitFor(() => shadow.requests[0]);
  t.equal(copy.method, 'POST');
  t.equal(copy.url, '/orders?id=7');
  t.equal(copy.headers.host, 'api.test-shadow:8080', '-shadow before the port, as Envoy');
  t.equal(copy.body, body, 'the whole body was mirrored');
  t.equal(copy.headers['x-envoy-internal'], 'true');
  t.equal(copy.headers['x-request-id'], main.requests[0]?.headers['x-request-id'], 'the same request id');
  await proxy.waitForStat('cluster.shadow.upstream_rq_completed', (n) => n === 1);
  t.equal(proxy.stat('cluster.shadow.upstream_rq_500'), 1);
});

t.test('a mirror that refuses connections changes nothing for the client', async (t) => {
  const main = await startHttpUpstream(t, (_req, res) => res.end('main'));
  const proxy = await startInProcess(t, twoClusters(main.port, await closedPort(), '{ cluster: shadow }'));
  for (let i = 0; i < 3; i++) t.equal((await httpRequest(proxy.port('http'), { path: '/x' })).body, 'main');
  await proxy.waitForStat('cluster.shadow.upstream_cx_connect_fail', (n) => n === 3);
});

t.test('runtime_fraction 0% mirrors nothing; cluster_header names the mirror; no suffix when disabled', async (t) => {
  const main = await startHttpUpstream(t, (_req, res) => res.end('main'));
  const shadow = await startHttpUpstream(t, (_req, res) => res.end('shadow'));
  const proxy = await startInProcess(
    t,
    twoClusters(
      main.port,
      shadow.port,
      '{ cluster: shadow, runtime_fraction: { default_value: { numerator: 0 } } }, { cluster_header: x-mirror-to, disable_shadow_host_suffix_append: true }',
    ),
  );
  await httpRequest(proxy.port('http'), { path: '/a', headers: { host: 'h.test' } });
  await httpRequest(proxy.port('http'), { path: '/b', headers: { host: 'h.test', 'x-mirror-to': 'shadow' } });
  const copy = await waitFor(() => shadow.requests[0]);
  t.equal(copy.url, '/b', 'only the request naming the mirror was copied');
  t.equal(copy.headers.host, 'h.test');
  t.equal(main.requests.length, 2);
  t.equal(shadow.requests.length, 1);
});
