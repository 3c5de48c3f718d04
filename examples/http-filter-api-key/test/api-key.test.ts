// The example third-party HTTP filter, loaded by the real CLI with --extension: an HTTP filter
// in its own package, with its own config message and stats, and no change to nodevoy.
import t from 'tap';
import { ADMIN, httpConnectionManager, httpRequest, startHttpUpstream, startNodevoy, tcpListener } from '@nodevoy/test-kit';

function config(upstreamPort: number): string {
  const apiKeyFilter = `          - name: api_key
            typed_config:
              "@type": type.googleapis.com/nodevoy.examples.api_key.v1.ApiKey
              stat_prefix: public
              keys: [k-123, k-456]
`;
  const routeConfig = '            virtual_hosts:\n            - { name: all, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: backend } }] }\n';
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ httpFilters: apiKeyFilter, routeConfig }))}  clusters:
  - name: backend
    load_assignment:
      cluster_name: backend
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreamPort} } } } }] }]
`;
}

t.test('loaded with --extension, the HTTP filter guards the route', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startNodevoy(t, config(upstream.port), { args: ['--extension', 'nodevoy-http-filter-api-key'] });
  t.match(proxy.stderr(), /loaded extension nodevoy-http-filter-api-key/);
  const port = await proxy.admin.listenerPort('http');

  const missing = await httpRequest(port, { path: '/data' });
  t.equal(missing.status, 401);
  t.equal(missing.headers['www-authenticate'], 'ApiKey header="x-api-key"');
  t.equal(missing.body, 'a valid API key is required\n');
  t.equal((await httpRequest(port, { path: '/data', headers: { 'x-api-key': 'wrong' } })).status, 401);
  t.equal(upstream.requests.length, 0, 'denied requests never reach the upstream');

  const allowed = await httpRequest(port, { method: 'POST', path: '/data', headers: { 'x-api-key': 'k-456' }, body: 'held while the key was checked' });
  t.equal(allowed.status, 200);
  t.equal(allowed.body, 'upstream POST /data held while the key was checked', 'the body waited for the filter and then went on');
  t.equal(upstream.requests[0]?.headers['x-api-key'], undefined, 'the key is not forwarded');

  const stats = await proxy.admin.stats();
  t.equal(stats.get('api_key.public.allowed'), 1);
  t.equal(stats.get('api_key.public.denied'), 2);
  t.equal(stats.get('http.ingress.downstream_rq_4xx'), 2);
});

t.test('its config is validated like any other: a bad field names its path', async (t) => {
  const error = await startNodevoy(t, config(1).replace('keys: [k-123, k-456]', 'keys: []'), { args: ['--extension', 'nodevoy-http-filter-api-key'] }).then(
    () => undefined,
    (err: Error) => err.message,
  );
  t.match(error, /http_filters\[0\]\.typed_config\.keys/);
});
