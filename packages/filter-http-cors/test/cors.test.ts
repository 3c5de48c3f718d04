// envoy.filters.http.cors with real HTTP clients through an in-process nodevoy: preflights
// answered locally for allowed origins, Access-Control-* headers on allowed responses, origins
// counted valid or invalid, policies per route over per virtual host (typed_per_filter_config)
// and the deprecated `cors` fields, routes turning the filter off and on, runtime enablement.
import t from 'tap';
import { ADMIN, cluster, configProblems, httpConnectionManager, httpFilterCompliance, httpRequest, startHttpUpstream, startInProcess, tcpListener, type TestLike } from '@nodevoy/test-kit';

const POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
const CORS_FILTER = `          - name: cors
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
`;

const policy = (fields: Record<string, unknown>) => ({ '@type': POLICY, ...fields });
const exampleOrigin = { allow_origin_string_match: [{ exact: 'https://app.example' }] };

interface Layout {
  /** typed_per_filter_config of the virtual host, and of routes by prefix. */
  readonly vhost?: Record<string, unknown>;
  readonly routes?: Record<string, Record<string, unknown> | undefined>;
  /** Extra virtual host fields (the deprecated `cors`). */
  readonly vhostExtra?: Record<string, unknown>;
  readonly httpFilters?: string;
  readonly runtime?: string;
}

function config(upstreamPort: number, layout: Layout): string {
  const routes = Object.entries(layout.routes ?? { '/': undefined }).map(([prefix, perFilter]) => ({
    match: { prefix },
    route: { cluster: 'upstream' },
    ...(perFilter ? { typed_per_filter_config: perFilter } : {}),
  }));
  const vhost = { name: 'all', domains: ['*'], routes, ...(layout.vhost ? { typed_per_filter_config: layout.vhost } : {}), ...layout.vhostExtra };
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ httpFilters: layout.httpFilters ?? CORS_FILTER, routeConfig: `            virtual_hosts: [${JSON.stringify(vhost)}]\n` }))}  clusters:
${cluster('upstream', [{ port: upstreamPort }])}${layout.runtime ?? ''}`;
}

async function setup(t: TestLike, layout: Layout) {
  const upstream = await startHttpUpstream(t, (_request, response) => {
    response.setHeader('x-upstream', 'yes');
    response.end('from upstream');
  });
  const proxy = await startInProcess(t, config(upstream.port, layout));
  return { upstream, proxy, port: proxy.port('http') };
}

const preflight = (origin: string, extra: Record<string, string> = {}) => ({
  method: 'OPTIONS',
  path: '/api',
  headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-one, x-two', ...extra },
});

t.test('a preflight from an allowed origin is answered here, with the policy', async (t) => {
  const { upstream, proxy, port } = await setup(t, {
    vhost: { cors: policy({ ...exampleOrigin, allow_methods: 'GET, PUT', allow_headers: 'x-one, x-two', max_age: '600', allow_credentials: true }) },
  });
  const response = await httpRequest(port, preflight('https://app.example'));
  t.equal(response.status, 200);
  t.equal(response.body, '');
  t.equal(response.headers['access-control-allow-origin'], 'https://app.example');
  t.equal(response.headers['access-control-allow-methods'], 'GET, PUT');
  t.equal(response.headers['access-control-allow-headers'], 'x-one, x-two');
  t.equal(response.headers['access-control-max-age'], '600');
  t.equal(response.headers['access-control-allow-credentials'], 'true');
  t.equal(response.headers['content-length'], '0');
  t.equal(upstream.requests.length, 0, 'the upstream never saw it');
  t.equal(proxy.stat('http.ingress.cors.origin_valid'), 1);
  t.equal(proxy.stat('http.ingress.cors.origin_invalid'), 0);
});

t.test('a request from an allowed origin is forwarded and its response carries the CORS headers', async (t) => {
  const { upstream, port } = await setup(t, { vhost: { cors: policy({ ...exampleOrigin, expose_headers: 'x-upstream', allow_credentials: true }) } });
  const response = await httpRequest(port, { path: '/api', headers: { origin: 'https://app.example' } });
  t.equal(response.body, 'from upstream');
  t.equal(response.headers['access-control-allow-origin'], 'https://app.example');
  t.equal(response.headers['access-control-expose-headers'], 'x-upstream');
  t.equal(response.headers['access-control-allow-credentials'], 'true');
  t.equal(upstream.requests[0]?.headers.origin, 'https://app.example', 'the Origin goes upstream as it came');
});

t.test('another origin: counted invalid, no CORS headers; its preflight goes upstream unless told not to', async (t) => {
  const forwarded = await setup(t, { vhost: { cors: policy(exampleOrigin) } });
  const simple = await httpRequest(forwarded.port, { path: '/api', headers: { origin: 'https://evil.example' } });
  t.equal(simple.body, 'from upstream');
  t.notOk(simple.headers['access-control-allow-origin']);
  const preflightForwarded = await httpRequest(forwarded.port, preflight('https://evil.example'));
  t.equal(preflightForwarded.body, 'from upstream', 'forward_not_matching_preflights defaults to true');
  t.equal(forwarded.proxy.stat('http.ingress.cors.origin_invalid'), 2);

  const answered = await setup(t, { vhost: { cors: policy({ ...exampleOrigin, allow_methods: 'GET', forward_not_matching_preflights: false }) } });
  const refused = await httpRequest(answered.port, preflight('https://evil.example'));
  t.equal(refused.status, 200);
  t.equal(refused.body, '');
  t.notOk(refused.headers['access-control-allow-origin'], 'answered here, without allowing the origin');
  t.equal(refused.headers['access-control-allow-methods'], 'GET');
  t.equal(answered.upstream.requests.length, 0);
});

t.test('* for methods and headers echoes what the preflight asks; a matcher that accepts * lets any origin in', async (t) => {
  const { port } = await setup(t, { vhost: { cors: policy({ allow_origin_string_match: [{ safe_regex: { regex: '.*' } }], allow_methods: '*', allow_headers: '*' }) } });
  const response = await httpRequest(port, preflight('https://anything.example'));
  t.equal(response.headers['access-control-allow-origin'], 'https://anything.example');
  t.equal(response.headers['access-control-allow-methods'], 'PUT');
  t.equal(response.headers['access-control-allow-headers'], 'x-one, x-two');
});

t.test('the route’s policy wins field by field over the virtual host’s; a route may turn the filter off', async (t) => {
  const { port, proxy } = await setup(t, {
    vhost: { cors: policy({ ...exampleOrigin, allow_methods: 'GET', max_age: '60' }) },
    routes: {
      '/special': { cors: policy({ allow_methods: 'DELETE' }) },
      '/off': { cors: { '@type': FILTER_CONFIG, disabled: true } },
      '/': undefined,
    },
  });
  const special = await httpRequest(port, { ...preflight('https://app.example'), path: '/special' });
  t.equal(special.headers['access-control-allow-methods'], 'DELETE', 'the route’s own setting');
  t.equal(special.headers['access-control-max-age'], '60', 'the virtual host’s, where the route sets nothing');
  t.equal(special.headers['access-control-allow-origin'], 'https://app.example');
  const off = await httpRequest(port, { ...preflight('https://app.example'), path: '/off' });
  t.equal(off.body, 'from upstream', 'no filter on this route: the preflight goes upstream');
  t.notOk(off.headers['access-control-allow-origin']);
  t.equal(proxy.stat('http.ingress.cors.origin_valid'), 1, 'nothing counted where the filter is off');
});

t.test('a filter disabled in http_filters runs only where a route turns it on (any entry for it does)', async (t) => {
  const { port } = await setup(t, {
    httpFilters: CORS_FILTER.replace('          - name: cors\n', '          - name: cors\n            disabled: true\n'),
    vhostExtra: { cors: { ...exampleOrigin, allow_methods: 'GET' } },
    routes: { '/on': { cors: { '@type': FILTER_CONFIG, config: {} } }, '/policy': { cors: policy({ ...exampleOrigin, allow_methods: 'PATCH' }) }, '/': undefined },
  });
  t.equal((await httpRequest(port, preflight('https://app.example'))).body, 'from upstream', 'off by default');
  const on = await httpRequest(port, { ...preflight('https://app.example'), path: '/on' });
  t.equal(on.body, '');
  t.equal(on.headers['access-control-allow-methods'], 'GET', 'on, with no policy of its own: the virtual host’s cors');
  const withPolicy = await httpRequest(port, { ...preflight('https://app.example'), path: '/policy' });
  t.equal(withPolicy.headers['access-control-allow-methods'], 'PATCH', 'a policy for the filter turns it on too');
});

t.test('without typed_per_filter_config, the deprecated cors of the virtual host applies', async (t) => {
  const { port } = await setup(t, { vhostExtra: { cors: { ...exampleOrigin, allow_methods: 'POST' } } });
  const response = await httpRequest(port, preflight('https://app.example'));
  t.equal(response.headers['access-control-allow-methods'], 'POST');
});

t.test('filter_enabled at 0% enforces nothing; shadow_enabled counts without enforcing', async (t) => {
  const off = { default_value: { numerator: 0 } };
  const on = { default_value: { numerator: 100 } };
  const disabled = await setup(t, { vhost: { cors: policy({ ...exampleOrigin, filter_enabled: off }) } });
  t.equal((await httpRequest(disabled.port, preflight('https://app.example'))).body, 'from upstream');
  t.equal(disabled.proxy.stat('http.ingress.cors.origin_valid'), 0);

  const shadow = await setup(t, { vhost: { cors: policy({ ...exampleOrigin, filter_enabled: off, shadow_enabled: on }) } });
  const response = await httpRequest(shadow.port, preflight('https://app.example'));
  t.equal(response.body, 'from upstream');
  t.notOk(response.headers['access-control-allow-origin']);
  t.equal(shadow.proxy.stat('http.ingress.cors.origin_valid'), 1, 'judged and counted');

  const byRuntime = await setup(t, {
    vhost: { cors: policy({ ...exampleOrigin, filter_enabled: { default_value: { numerator: 100 }, runtime_key: 'cors.www.enabled' } }) },
    runtime: 'layered_runtime: { layers: [{ name: static, static_layer: { cors.www.enabled: 0 } }] }\n',
  });
  t.equal((await httpRequest(byRuntime.port, preflight('https://app.example'))).body, 'from upstream', 'the runtime key overrides the default');
});

t.test('a FilterConfig with no config is refused, in Envoy’s words', async (t) => {
  const message = configProblems(config(1, { routes: { '/': { cors: { '@type': FILTER_CONFIG } } } }));
  t.match(message, /routes\[0\]\.typed_per_filter_config\.cors\.config: Empty route\/virtual host per filter configuration for cors filter/);
});

t.test('compliance', async (t) => {
  httpFilterCompliance(t, {
    name: 'envoy.filters.http.cors',
    typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' },
    badConfigs: [{ typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors', allow_methods: 'GET' }, error: /unknown field 'allow_methods'/ }],
  });
});
