// envoy.filters.http.csrf through a real connection manager: state-changing requests from another
// origin get 403, same-origin and allowed origins pass, GETs are not checked, shadow mode only
// counts, and a route's CsrfPolicy replaces the filter's; csrf.* stats as Envoy's.
import t from 'tap';
import { httpProxyBootstrap, httpRequest, startHttpUpstream, startInProcess, type TestLike } from '@nodevoy/test-kit';

const CSRF = 'type.googleapis.com/envoy.extensions.filters.http.csrf.v3.CsrfPolicy';

async function setup(t: TestLike, policy: string, routes?: string) {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      httpFilters: `          - name: envoy.filters.http.csrf
            typed_config:
              "@type": ${CSRF}
${policy}`,
      ...(routes ? { routes } : {}),
    }),
  );
  const send = (method: string, headers: Record<string, string>) => httpRequest(proxy.port('http'), { method, path: '/form', headers: { host: 'shop.test', ...headers } });
  return { proxy, upstream, send };
}

const ENFORCED = `              filter_enabled: { default_value: { numerator: 100 } }
              additional_origins: [{ suffix: .partner.test }]
`;

t.test('enforced: another origin gets 403 Invalid origin; the same origin, an allowed one and a GET pass', async (t) => {
  const { proxy, upstream, send } = await setup(t, ENFORCED);
  const forged = await send('POST', { origin: 'https://evil.test' });
  t.equal(forged.status, 403);
  t.equal(forged.body, 'Invalid origin');
  t.equal((await send('POST', { origin: 'https://shop.test' })).status, 200, 'same origin');
  t.equal((await send('DELETE', { referer: 'https://shop.test/cart?x=1' })).status, 200, 'the Referer when there is no Origin');
  t.equal((await send('PUT', { origin: 'https://api.partner.test' })).status, 200, 'an additional origin');
  t.equal((await send('GET', { origin: 'https://evil.test' })).status, 200, 'a GET changes nothing: not checked');
  t.equal((await send('PATCH', {})).status, 403, 'no source origin at all');
  t.equal(upstream.requests.length, 4);
  t.equal(proxy.stat('http.ingress.csrf.request_invalid'), 1);
  t.equal(proxy.stat('http.ingress.csrf.missing_source_origin'), 1, 'a request with no source is missing one, not invalid');
  t.equal(proxy.stat('http.ingress.csrf.request_valid'), 3);
});

t.test('shadow mode counts a forged request and lets it through', async (t) => {
  const { proxy, send } = await setup(t, '              filter_enabled: { default_value: { numerator: 0 } }\n              shadow_enabled: { default_value: { numerator: 100 } }\n');
  t.equal((await send('POST', { origin: 'https://evil.test' })).status, 200);
  t.equal(proxy.stat('http.ingress.csrf.request_invalid'), 1);
});

t.test('a route’s CsrfPolicy replaces the filter’s', async (t) => {
  const routes = `              - match: { prefix: /form }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.csrf:
                    "@type": ${CSRF}
                    filter_enabled: { default_value: { numerator: 0 } }
              - { match: { prefix: / }, route: { cluster: backend } }
`;
  const { send } = await setup(t, ENFORCED, routes);
  t.equal((await send('POST', { origin: 'https://evil.test' })).status, 200, 'the route turns the check off');
});
