// envoy.filters.http.ext_authz with an HTTP authorization service, through a real connection
// manager, a real authorization server and a real upstream: what the service receives, what an
// allow changes on the way up and down, a denial's answer, failures (5xx, no answer, timeout)
// with and without failure_mode_allow, per-route opt-out, the body sent for checking, and the
// ext_authz.* and cluster stats, as Envoy 1.40 counts them.
import t from 'tap';
import { ADMIN, anyHostRoutes, closedPort, cluster, configProblems, httpConnectionManager, httpRequest, startHttpUpstream, startInProcess, tcpListener, type TestLike, type UpstreamHandler } from '@nodevoy/test-kit';

const EXT_AUTHZ = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';

/** The authorization server's rules: the path it is asked about decides. */
const authzRules: UpstreamHandler = (request, response) => {
  if (request.url.includes('/deny')) {
    response.writeHead(403, { 'x-deny-reason': 'not yours', 'www-authenticate': 'Bearer', 'set-cookie': 'tracking=1' });
    response.end('denied by policy');
  } else if (request.url.includes('/unauthenticated')) {
    response.writeHead(401, { 'x-deny-reason': 'who are you' });
    response.end();
  } else if (request.url.includes('/broken')) {
    response.writeHead(503);
    response.end('authz is down');
  } else if (request.url.includes('/hang')) {
    // never answers: the check times out
  } else {
    response.writeHead(200, {
      'x-auth-user': 'alice',
      'x-tenant': 'from-authz',
      'x-envoy-auth-headers-to-remove': 'x-secret, x-internal-token',
      'x-client-note': 'checked',
      'x-not-listed': 'dropped',
      'x-audit': 'a1',
    });
    response.end('a body the filter ignores');
  }
};

interface Setup {
  readonly filter?: string;
  readonly routes?: string;
  readonly authzPort?: number;
}

const SERVICE = (timeout = '2s') => `              http_service:
                server_uri: { uri: "http://authz", cluster: authz, timeout: ${timeout} }
                path_prefix: /check
                authorization_request:
                  headers_to_add: [{ key: x-checked-for, value: "%REQ(:AUTHORITY)%" }]
                authorization_response:
                  allowed_upstream_headers: { patterns: [{ exact: x-auth-user }] }
                  allowed_upstream_headers_to_append: { patterns: [{ exact: x-tenant }] }
                  allowed_client_headers: { patterns: [{ exact: x-deny-reason }] }
                  allowed_client_headers_on_success: { patterns: [{ exact: x-client-note }] }
                  dynamic_metadata_from_headers: { patterns: [{ exact: x-audit }] }
`;

async function setup(t: TestLike, options: Setup = {}) {
  const authz = await startHttpUpstream(t, authzRules);
  const upstream = await startHttpUpstream(t);
  const filter = options.filter ?? SERVICE();
  const routes = options.routes ?? '              - { match: { prefix: / }, route: { cluster: backend } }\n';
  const hcm = httpConnectionManager({
    routeConfig: anyHostRoutes(routes),
    httpFilters: `          - name: envoy.filters.http.ext_authz
            typed_config:
              "@type": ${EXT_AUTHZ}
${filter}`,
  });
  const yaml = `${ADMIN}static_resources:
  listeners:
${tcpListener('http', hcm)}  clusters:
${cluster('backend', [{ port: upstream.port }])}${cluster('authz', [{ port: options.authzPort ?? authz.port }])}`;
  const proxy = await startInProcess(t, yaml);
  const send = (path: string, headers: Record<string, string> = {}, body?: string) =>
    httpRequest(proxy.port('http'), { method: body === undefined ? 'GET' : 'POST', path, headers: { host: 'shop.test', ...headers }, ...(body === undefined ? {} : { body }) });
  return { proxy, authz, upstream, send };
}

t.test('an allowed request: the service sees method, prefixed path, host and authorization; the upstream gets its header changes', async (t) => {
  const { proxy, authz, upstream, send } = await setup(t);
  const response = await send('/orders?id=7', { authorization: 'Bearer t0k', 'x-secret': 's', 'x-internal-token': 'i', 'x-tenant': 'original', 'x-other': 'kept' });
  t.equal(response.status, 200);
  t.equal(response.headers['x-client-note'], 'checked', 'allowed_client_headers_on_success reach the client');
  t.notOk(response.headers['x-auth-user'], 'upstream headers are not client headers');

  const check = authz.requests[0];
  t.equal(check?.method, 'GET');
  t.equal(check?.url, '/check/orders?id=7', 'path_prefix before the request path');
  t.equal(check?.headers.host, 'shop.test');
  t.equal(check?.headers.authorization, 'Bearer t0k');
  t.equal(check?.headers['content-length'], '0');
  t.equal(check?.headers['x-checked-for'], 'shop.test', 'headers_to_add, a format string');
  t.equal(check?.headers['x-envoy-internal'], 'true');
  t.equal(check?.headers['x-envoy-expected-rq-timeout-ms'], '2000');
  t.notOk(check?.headers['x-other'], 'an HTTP service gets only the default headers and those allowed');

  const forwarded = upstream.requests[0];
  t.equal(forwarded?.headers['x-auth-user'], 'alice', 'allowed_upstream_headers are set');
  t.equal(forwarded?.headers['x-tenant'], 'original, from-authz', 'allowed_upstream_headers_to_append are added beside');
  t.notOk(forwarded?.headers['x-secret'], 'x-envoy-auth-headers-to-remove names what the upstream must not get');
  t.notOk(forwarded?.headers['x-internal-token']);
  t.notOk(forwarded?.headers['x-not-listed'], 'headers no matcher lists go nowhere');
  t.equal(forwarded?.headers['x-other'], 'kept');

  t.equal(proxy.stat('http.ingress.ext_authz.ok'), 1);
  t.equal(proxy.stat('cluster.backend.ext_authz.ok'), 1, 'the decision is counted on the route’s cluster too');
  t.equal(proxy.stat('cluster.authz.upstream_rq_200'), 1, 'the check is a request of the authz cluster');
});

t.test('a denial answers with the service’s status, body and allowed client headers', async (t) => {
  const { proxy, upstream, send } = await setup(t);
  const denied = await send('/deny');
  t.equal(denied.status, 403);
  t.equal(denied.body, 'denied by policy');
  t.equal(denied.headers['x-deny-reason'], 'not yours');
  t.equal(denied.headers['www-authenticate'], 'Bearer', 'WWW-Authenticate always passes once a list is set');
  t.notOk(denied.headers['set-cookie'], 'what allowed_client_headers does not list stays behind');
  const unauthenticated = await send('/unauthenticated');
  t.equal(unauthenticated.status, 401);
  t.equal(unauthenticated.headers['x-deny-reason'], 'who are you');
  t.equal(upstream.requests.length, 0, 'nothing denied reaches the upstream');
  t.equal(proxy.stat('http.ingress.ext_authz.denied'), 2);
  t.equal(proxy.stat('cluster.backend.upstream_rq_403'), 1, 'a denial is charged to the route’s cluster as its answer');
  t.equal(proxy.stat('cluster.backend.upstream_rq_401'), 1);
});

t.test('without allowed_client_headers a denial passes every header of the service but host', async (t) => {
  const filter = `              http_service:
                server_uri: { uri: "http://authz", cluster: authz, timeout: 2s }
`;
  const { send } = await setup(t, { filter });
  const denied = await send('/deny');
  t.equal(denied.status, 403);
  t.equal(denied.headers['set-cookie']?.[0], 'tracking=1');
  t.equal(denied.headers['x-deny-reason'], 'not yours');
});

t.test('a failing service: 403 with no body, or status_on_error; a 5xx is a failure, not a denial', async (t) => {
  const { proxy, upstream, send } = await setup(t);
  const broken = await send('/broken');
  t.equal(broken.status, 403);
  t.equal(broken.body, '');
  t.equal(proxy.stat('http.ingress.ext_authz.error'), 1);
  t.equal(upstream.requests.length, 0);

  const custom = await setup(t, { filter: `${SERVICE()}              status_on_error: { code: ServiceUnavailable }\n` });
  t.equal((await custom.send('/broken')).status, 503);
});

t.test('failure_mode_allow lets a request through a failed check, marked when asked', async (t) => {
  const { proxy, upstream, send } = await setup(t, { filter: `${SERVICE()}              failure_mode_allow: true\n              failure_mode_allow_header_add: true\n` });
  const response = await send('/broken');
  t.equal(response.status, 200);
  t.equal(upstream.requests[0]?.headers['x-envoy-auth-failure-mode-allowed'], 'true');
  t.equal(proxy.stat('http.ingress.ext_authz.error'), 1);
  t.equal(proxy.stat('http.ingress.ext_authz.failure_mode_allowed'), 1);
});

t.test('a service that does not answer in time, or cannot be reached, is a failure', async (t) => {
  const { proxy, send } = await setup(t, { filter: SERVICE('0.2s') });
  t.equal((await send('/hang')).status, 403);
  t.equal(proxy.stat('cluster.authz.upstream_rq_timeout'), 1);
  t.equal(proxy.stat('http.ingress.ext_authz.error'), 1);

  const refused = await setup(t, { authzPort: await closedPort() });
  t.equal((await refused.send('/anything')).status, 403);
  t.equal(refused.proxy.stat('http.ingress.ext_authz.error'), 1);
});

t.test('ExtAuthzPerRoute disabled: that route is not checked', async (t) => {
  const routes = `              - match: { prefix: /public }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.ext_authz:
                    "@type": ${PER_ROUTE}
                    disabled: true
              - { match: { prefix: / }, route: { cluster: backend } }
`;
  const { authz, send } = await setup(t, { routes });
  t.equal((await send('/public/deny')).status, 200, 'not asked, so not denied');
  t.equal((await send('/private/deny')).status, 403);
  t.equal(authz.requests.length, 1);
});

t.test('with_request_body: the body goes to the service and on to the upstream whole', async (t) => {
  const filter = `${SERVICE()}              with_request_body: { max_request_bytes: 16 }\n`;
  const { proxy, authz, upstream, send } = await setup(t, { filter });
  const ok = await send('/orders', {}, 'small body');
  t.equal(ok.status, 200);
  t.equal(authz.requests[0]?.body, 'small body', 'the service sees the body');
  t.equal(authz.requests[0]?.method, 'POST');
  t.equal(upstream.requests[0]?.body, 'small body', 'and the upstream gets it after the decision');
  const tooLarge = await send('/orders', {}, 'x'.repeat(17));
  t.equal(tooLarge.status, 413, 'past max_request_bytes without allow_partial_message');
  t.equal(proxy.stat('http.ingress.ext_authz.ok'), 1);

  const partial = await setup(t, { filter: `${SERVICE()}              with_request_body: { max_request_bytes: 4, allow_partial_message: true }\n` });
  t.equal((await partial.send('/orders', {}, 'abcdefgh')).status, 200);
  t.equal(partial.authz.requests[0]?.body, 'abcd', 'allow_partial_message: the first max_request_bytes');
  t.equal(partial.upstream.requests[0]?.body, 'abcdefgh', 'the upstream gets it all');
});

t.test('clear_route_cache: a header the service sets can choose another route', async (t) => {
  const other = await startHttpUpstream(t, (_request, response) => response.end('other backend'));
  const routes = `              - match: { prefix: /, headers: [{ name: x-auth-user, string_match: { exact: alice } }] }
                route: { cluster: other }
              - { match: { prefix: / }, route: { cluster: backend } }
`;
  const filter = `${SERVICE()}              clear_route_cache: true\n`;
  const authz = await startHttpUpstream(t, authzRules);
  const upstream = await startHttpUpstream(t);
  const hcm = httpConnectionManager({ routeConfig: anyHostRoutes(routes), httpFilters: `          - name: envoy.filters.http.ext_authz\n            typed_config:\n              "@type": ${EXT_AUTHZ}\n${filter}` });
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', hcm)}  clusters:\n${cluster('backend', [{ port: upstream.port }])}${cluster('other', [{ port: other.port }])}${cluster('authz', [{ port: authz.port }])}`,
  );
  const response = await httpRequest(proxy.port('http'), { path: '/orders' });
  t.equal(response.body, 'other backend');
  t.equal(upstream.requests.length, 0);
});

t.test('bad configs are refused with the field path', async (t) => {
  const withFilter = (fields: string) => `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: authz } }\n'), httpFilters: `          - name: envoy.filters.http.ext_authz\n            typed_config:\n              "@type": ${EXT_AUTHZ}\n${fields}` }))}  clusters:
${cluster('authz', [{ port: 1 }])}`;
  t.match(configProblems(withFilter(`${SERVICE()}              with_request_body: { max_request_bytes: 0 }\n`)), /http_filters\[0\]\.typed_config\.with_request_body\.max_request_bytes: value must be greater than 0/);
  // Envoy 1.40 accepts this and then aborts ("panic: unset oneof"): nodevoy refuses it.
  t.match(configProblems(withFilter('              failure_mode_allow: true\n')), /http_filters\[0\]\.typed_config: one of 'grpc_service' or 'http_service' is required/);
});
