// envoy.filters.http.jwt_authn through a real connection manager and upstream, with tokens
// signed here (jose, RS256): Envoy 1.40's answers for a missing, malformed, expired, foreign,
// mis-addressed and forged token; what a verified one adds (payload header, claims as headers,
// metadata) and removes (its header); requirements any/all/allow_missing, requirement_map with
// per-route configs, tokens in query parameters, remote JWKS, CORS preflights; jwt_authn.* stats.
import t from 'tap';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { ADMIN, anyHostRoutes, closedPort, cluster, fileAccessLog, httpConnectionManager, httpRequest, scratchDir, startHttpUpstream, startInProcess, tcpListener, waitForLines, type TestLike } from '@nodevoy/test-kit';

const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
const JWKS = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
const now = Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>, exp = now + 3600) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt(now).setExpirationTime(exp).sign(privateKey);
const GOOD = await sign({ iss: 'https://issuer.test', aud: 'shop', sub: 'alice', nested: { role: 'admin' } });
const WRONG_AUDIENCE = await sign({ iss: 'https://issuer.test', aud: 'other' });
const EXPIRED = await sign({ iss: 'https://issuer.test', aud: 'shop' }, now - 3600);
const FOREIGN = await sign({ iss: 'https://evil.test', aud: 'shop' });
const FORGED = `${GOOD.slice(0, GOOD.lastIndexOf('.') + 1)}${Buffer.from('not the signature').toString('base64url')}`;

const JWT_AUTHN = 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';

function providers(jwks: string): string {
  return `              providers:
                main:
                  issuer: https://issuer.test
                  audiences: [shop]
                  ${jwks}
                  forward_payload_header: x-jwt-payload
                  payload_in_metadata: claims
                  claim_to_headers: [{ header_name: x-sub, claim_name: sub }, { header_name: x-role, claim_name: nested.role }]
                query:
                  issuer: https://issuer.test
                  local_jwks: { inline_string: ${JSON.stringify(JWKS)} }
                  from_params: [token]
`;
}

const LOCAL = `local_jwks: { inline_string: ${JSON.stringify(JWKS)} }`;
const RULES = `              rules:
              - match: { prefix: /public }
              - match: { prefix: /optional }
                requires: { requires_any: { requirements: [{ provider_name: main }, { allow_missing: {} }] } }
              - match: { prefix: /q }
                requires: { provider_name: query }
              - match: { prefix: / }
                requires: { provider_name: main }
`;

async function setup(t: TestLike, filter: string, options: { readonly routes?: string; readonly clusters?: string } = {}) {
  const upstream = await startHttpUpstream(t);
  const log = `${scratchDir(t)}/access.log`;
  const hcm = httpConnectionManager({
    routeConfig: anyHostRoutes(options.routes ?? '              - { match: { prefix: / }, route: { cluster: backend } }\n'),
    extra: fileAccessLog(log, '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %DYNAMIC_METADATA(envoy.filters.http.jwt_authn:claims:sub)%\n'),
    httpFilters: `          - name: envoy.filters.http.jwt_authn
            typed_config:
              "@type": ${JWT_AUTHN}
${filter}`,
  });
  const proxy = await startInProcess(t, `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', hcm)}  clusters:\n${cluster('backend', [{ port: upstream.port }])}${options.clusters ?? ''}`);
  const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
    httpRequest(proxy.port('http'), { path, headers: { host: 'shop.test', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  return { proxy, upstream, get, log };
}

t.test('Envoy’s answers to tokens it does not accept', async (t) => {
  const { proxy, upstream, get } = await setup(t, providers(LOCAL) + RULES);
  const missing = await get('/api?x=1');
  t.equal(missing.status, 401);
  t.equal(missing.body, 'Jwt is missing');
  t.equal(missing.headers['www-authenticate'], 'Bearer realm="http://shop.test/api?x=1"', 'the realm is where the request went, query and all');
  const cases: [string, number, string][] = [
    [WRONG_AUDIENCE, 403, 'Audiences in Jwt are not allowed'],
    [EXPIRED, 401, 'Jwt is expired'],
    [FOREIGN, 401, 'Jwt issuer is not configured'],
    [FORGED, 401, 'Jwt verification fails'],
    ['abc.def', 401, 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'],
  ];
  for (const [token, status, body] of cases) {
    const response = await get('/api', token);
    t.equal(response.status, status, body);
    t.equal(response.body, body);
    t.equal(response.headers['www-authenticate'], 'Bearer realm="http://shop.test/api", error="invalid_token"');
  }
  t.equal(upstream.requests.length, 0);
  t.equal(proxy.stat('http.ingress.jwt_authn.denied'), 6);
  t.equal(proxy.stat('http.ingress.jwt_authn.jwt_cache_miss'), 4, 'each token that parsed was checked');
});

t.test('a verified token: its header removed, payload and claims forwarded, payload in metadata', async (t) => {
  const { proxy, upstream, get, log } = await setup(t, providers(LOCAL) + RULES);
  const response = await get('/api', GOOD);
  t.equal(response.status, 200);
  const forwarded = upstream.requests[0];
  t.notOk(forwarded?.headers.authorization, 'not forwarded: the token stays here');
  t.equal(forwarded?.headers['x-jwt-payload'], GOOD.split('.')[1]);
  t.equal(forwarded?.headers['x-sub'], 'alice');
  t.equal(forwarded?.headers['x-role'], 'admin', 'a nested claim by its dotted name');
  t.same(await waitForLines(log, 1), ['/api 200 via_upstream alice']);
  t.equal(proxy.stat('http.ingress.jwt_authn.allowed'), 1);
});

t.test('rules: no requirement, allow_missing, a query parameter provider', async (t) => {
  const { get } = await setup(t, providers(LOCAL) + RULES);
  t.equal((await get('/public')).status, 200, 'a rule without requires checks nothing');
  t.equal((await get('/optional')).status, 200, 'missing is allowed');
  t.equal((await get('/optional', FORGED)).status, 401, 'a bad token is not');
  t.equal((await get(`/q?token=${GOOD}`)).status, 200);
  t.equal((await get('/q', GOOD)).status, 401, 'that provider reads the query parameter only');
});

t.test('requirement_map with per-route configs; a route with the filter off', async (t) => {
  const filter = `${providers(LOCAL)}              requirement_map:
                strict: { provider_and_audiences: { provider_name: main, audiences: [admin-api] } }
`;
  const routes = `              - match: { prefix: /admin }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.jwt_authn:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig
                    requirement_name: strict
              - match: { prefix: /open }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.jwt_authn:
                    "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig
                    disabled: true
              - { match: { prefix: / }, route: { cluster: backend } }
`;
  const { get } = await setup(t, filter, { routes });
  t.equal((await get('/admin', GOOD)).status, 403, 'the route’s audiences replace the provider’s');
  t.equal((await get('/open')).status, 200);
  t.equal((await get('/other')).status, 200, 'no rule, no route config: nothing to check');
});

t.test('remote JWKS: fetched through its cluster and kept; a failed fetch fails the token', async (t) => {
  const jwksServer = await startHttpUpstream(t, (_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JWKS);
  });
  const remote = `remote_jwks: { http_uri: { uri: "http://jwks.test/keys.json", cluster: jwks, timeout: 2s }, cache_duration: 300s }`;
  const { proxy, get } = await setup(t, providers(remote) + RULES, { clusters: cluster('jwks', [{ port: jwksServer.port }]) });
  t.equal((await get('/api', GOOD)).status, 200);
  t.equal((await get('/api', GOOD)).status, 200);
  t.equal(jwksServer.requests.length, 1, 'fetched once, then cached');
  t.equal(jwksServer.requests[0]?.url, '/keys.json');
  t.equal(proxy.stat('http.ingress.jwt_authn.jwks_fetch_success'), 1);

  const down = await setup(t, providers(remote) + RULES, { clusters: cluster('jwks', [{ port: await closedPort() }]) });
  const failed = await down.get('/api', GOOD);
  t.equal(failed.status, 401);
  t.equal(failed.body, 'Jwks remote fetch is failed');
  t.equal(down.proxy.stat('http.ingress.jwt_authn.jwks_fetch_failed'), 1);
});

t.test('bypass_cors_preflight: a preflight passes unchecked', async (t) => {
  const { proxy, get } = await setup(t, `${providers(LOCAL)}${RULES}              bypass_cors_preflight: true\n`);
  const preflight = await httpRequest(proxy.port('http'), { method: 'OPTIONS', path: '/api', headers: { origin: 'https://app.test', 'access-control-request-method': 'POST' } });
  t.equal(preflight.status, 200);
  t.equal(proxy.stat('http.ingress.jwt_authn.cors_preflight_bypassed'), 1);
  t.equal((await get('/api')).status, 401);
});
