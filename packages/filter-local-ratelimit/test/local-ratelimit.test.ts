// envoy.filters.http.local_ratelimit and envoy.filters.network.local_ratelimit through an
// in-process nodevoy with real clients: requests past the bucket answered 429 here (Envoy's body,
// the configured status and headers), x-ratelimit-* headers, shadow mode, per-connection and
// per-route buckets, the filter off unless filter_enabled says so; connections past the bucket
// closed before the filters after it, shared buckets; the bucket's refill on a clock of our own;
// Envoy's stats and config errors.
import { Agent } from 'node:http';
import t from 'tap';
import {
  ADMIN,
  anyHostRoutes,
  cluster,
  collect,
  configProblems,
  connectTo,
  httpConnectionManager,
  httpFilterCompliance,
  httpRequest,
  networkFilterCompliance,
  readBytes,
  startHttpUpstream,
  startInProcess,
  tcpListener,
  type TestLike,
} from '@nodevoy/test-kit';
import { TokenBucket } from '../src/token-bucket.js';

const HTTP_RL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const TCP_RL = 'type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit';
const ALWAYS = { default_value: { numerator: 100 } };

function httpConfig(upstreamPort: number, fields: Record<string, unknown>, routes = '              - { match: { prefix: / }, route: { cluster: upstream } }\n'): string {
  const filter = `          - name: envoy.filters.http.local_ratelimit\n            typed_config: ${JSON.stringify({ '@type': HTTP_RL, stat_prefix: 'rl', ...fields })}\n`;
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ httpFilters: filter, routeConfig: anyHostRoutes(routes) }))}  clusters:
${cluster('upstream', [{ port: upstreamPort }])}`;
}

const threePerHour = { max_tokens: 3, tokens_per_fill: 1, fill_interval: '3600s' };

async function setupHttp(t: TestLike, fields: Record<string, unknown>, routes?: string) {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, httpConfig(upstream.port, fields, routes));
  return { upstream, proxy, port: proxy.port('http') };
}

t.test('past the bucket: 429 local_rate_limited with response_headers_to_add; x-ratelimit-* on every response; counted', async (t) => {
  const { upstream, proxy, port } = await setupHttp(t, {
    token_bucket: threePerHour,
    filter_enabled: ALWAYS,
    filter_enforced: ALWAYS,
    enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
    response_headers_to_add: [{ header: { key: 'x-limited-by', value: '%DOWNSTREAM_LOCAL_PORT%' } }],
  });
  const responses = [];
  for (let i = 0; i < 5; i++) responses.push(await httpRequest(port));
  t.same(responses.map((r) => r.status), [200, 200, 200, 429, 429]);
  t.equal(upstream.requests.length, 3);
  t.equal(responses[3]?.body, 'local_rate_limited');
  t.equal(responses[3]?.headers['x-limited-by'], String(port), 'a format string, on the local reply');
  t.equal(responses[0]?.headers['x-limited-by'], undefined, 'and only there');
  t.same(responses.map((r) => r.headers['x-ratelimit-limit']), ['3', '3', '3', '3', '3']);
  t.same(responses.map((r) => r.headers['x-ratelimit-remaining']), ['2', '1', '0', '0', '0']);
  const resets = responses.map((r) => Number(r.headers['x-ratelimit-reset']));
  t.same(resets.slice(0, 2), [0, 0], 'a token is there now');
  t.ok(resets.slice(2).every((seconds) => seconds > 3500 && seconds <= 3600), `then about an hour until one is back: ${resets.join(', ')}`);
  t.equal(proxy.stat('rl.http_local_rate_limit.enabled'), 5);
  t.equal(proxy.stat('rl.http_local_rate_limit.ok'), 3);
  t.equal(proxy.stat('rl.http_local_rate_limit.rate_limited'), 2);
  t.equal(proxy.stat('rl.http_local_rate_limit.enforced'), 2);
  t.equal(proxy.stat('http.ingress.downstream_rq_4xx'), 2);
});

t.test('without filter_enabled the filter does nothing (Envoy’s safe default)', async (t) => {
  const { proxy, port } = await setupHttp(t, { token_bucket: { ...threePerHour, max_tokens: 1 } });
  for (let i = 0; i < 3; i++) t.equal((await httpRequest(port)).status, 200);
  t.equal(proxy.stat('rl.http_local_rate_limit.enabled'), 0);
});

t.test('shadow mode: enabled, not enforced; limited requests go on with request_headers_to_add_when_not_enforced', async (t) => {
  const { upstream, proxy, port } = await setupHttp(t, {
    token_bucket: { ...threePerHour, max_tokens: 1 },
    filter_enabled: ALWAYS,
    request_headers_to_add_when_not_enforced: [{ header: { key: 'x-would-be-limited', value: 'true' } }],
  });
  t.equal((await httpRequest(port)).status, 200);
  t.equal((await httpRequest(port)).status, 200);
  t.equal(upstream.requests[0]?.headers['x-would-be-limited'], undefined);
  t.equal(upstream.requests[1]?.headers['x-would-be-limited'], 'true');
  t.equal(proxy.stat('rl.http_local_rate_limit.rate_limited'), 1);
  t.equal(proxy.stat('rl.http_local_rate_limit.shadow_mode'), 0, 'that counts descriptors in shadow mode');
  t.equal(proxy.stat('rl.http_local_rate_limit.enforced'), 0);
});

t.test('local_rate_limit_per_downstream_connection: each connection its own bucket', async (t) => {
  const { port } = await setupHttp(t, { token_bucket: { ...threePerHour, max_tokens: 1 }, filter_enabled: ALWAYS, filter_enforced: ALWAYS, local_rate_limit_per_downstream_connection: true });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  t.equal((await httpRequest(port, { agent })).status, 200);
  t.equal((await httpRequest(port, { agent })).status, 429, 'the same connection: its token is gone');
  t.equal((await httpRequest(port)).status, 200, 'a new connection has its own');
});

t.test('a route’s typed_per_filter_config is its own limit, with its own status and stats', async (t) => {
  const strict = { '@type': HTTP_RL, stat_prefix: 'strict', status: { code: 'ServiceUnavailable' }, token_bucket: { ...threePerHour, max_tokens: 1 }, filter_enabled: ALWAYS, filter_enforced: ALWAYS };
  const routes = `              - match: { prefix: /strict }\n                route: { cluster: upstream }\n                typed_per_filter_config: { envoy.filters.http.local_ratelimit: ${JSON.stringify(strict)} }\n              - { match: { prefix: / }, route: { cluster: upstream } }\n`;
  const { proxy, port } = await setupHttp(t, { token_bucket: threePerHour, filter_enabled: ALWAYS, filter_enforced: ALWAYS }, routes);
  t.equal((await httpRequest(port, { path: '/strict' })).status, 200);
  const limited = await httpRequest(port, { path: '/strict' });
  t.equal(limited.status, 503);
  t.equal(limited.body, 'local_rate_limited');
  t.equal((await httpRequest(port, { path: '/other' })).status, 200, 'the filter’s own bucket is untouched by the route’s');
  t.equal(proxy.stat('strict.http_local_rate_limit.rate_limited'), 1);
  t.equal(proxy.stat('rl.http_local_rate_limit.ok'), 1);
});

t.test('the bucket refills at tokens_per_fill per fill_interval, up to max_tokens (a clock of our own)', async (t) => {
  let now = 0;
  const bucket = new TokenBucket({ max_tokens: 2, tokens_per_fill: 2, fill_interval: 1000 }, () => now);
  t.ok(bucket.consume());
  t.ok(bucket.consume());
  t.notOk(bucket.consume(), 'empty');
  t.equal(bucket.resetSeconds(), 1);
  now = 250;
  t.equal(bucket.remaining(), 0, 'half a token');
  t.notOk(bucket.consume());
  now = 500;
  t.equal(bucket.resetSeconds(), 0);
  t.ok(bucket.consume(), 'a whole token after a quarter of the interval at 2 per fill');
  now = 60_000;
  t.equal(bucket.remaining(), 2, 'never above max_tokens');
});

function tcpConfig(fields: Record<string, unknown>, listeners = ['one']): string {
  const chain = (name: string) => `    filter_chains:
    - filters:
      - name: envoy.filters.network.local_ratelimit
        typed_config: ${JSON.stringify({ '@type': TCP_RL, stat_prefix: name, ...fields })}
      - name: envoy.filters.network.echo
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo }
`;
  return `${ADMIN}static_resources:
  listeners:
${listeners.map((name) => tcpListener(name, chain(name))).join('')}`;
}

async function echoes(t: TestLike, port: number): Promise<boolean> {
  const socket = await connectTo(t, port);
  const ended = collect(socket);
  socket.write('ping');
  const answered = await Promise.race([readBytes(socket, 4).then(() => true), ended.then(() => false)]);
  socket.destroy();
  return answered;
}

t.test('network: a connection past the bucket is closed before the echo filter sees it; counted', async (t) => {
  const proxy = await startInProcess(t, tcpConfig({ token_bucket: { max_tokens: 2, fill_interval: '3600s' } }));
  const port = proxy.port('one');
  t.ok(await echoes(t, port));
  t.ok(await echoes(t, port));
  const third = await connectTo(t, port);
  const ended = await collect(third);
  t.equal(ended.data.length, 0, 'closed with nothing echoed');
  t.equal(proxy.stat('local_rate_limit.one.rate_limited'), 1);
});

t.test('network: share_key makes listeners draw from one bucket; runtime_enabled turns the limit off', async (t) => {
  const shared = await startInProcess(t, tcpConfig({ token_bucket: { max_tokens: 1, fill_interval: '3600s' }, share_key: 'edge' }, ['one', 'two']));
  t.ok(await echoes(t, shared.port('one')));
  t.notOk(await echoes(t, shared.port('two')), 'the shared token is gone');
  const off = await startInProcess(t, tcpConfig({ token_bucket: { max_tokens: 1, fill_interval: '3600s' }, runtime_enabled: { default_value: false, runtime_key: 'tcp.rl' } }));
  t.ok(await echoes(t, off.port('one')));
  t.ok(await echoes(t, off.port('one')), 'not limited while off');
});

t.test('config errors name the field', async (t) => {
  t.match(configProblems(httpConfig(1, { token_bucket: threePerHour, descriptors: [] })), /field 'descriptors' of LocalRateLimit is not supported/);
  t.match(configProblems(httpConfig(1, { token_bucket: { max_tokens: 0, fill_interval: '1s' } })), /token_bucket\.max_tokens: value must be greater than 0/);
  t.match(configProblems(httpConfig(1, { status: { code: 'Teapot' } })), /status\.code: invalid value "Teapot"/);
  const noBucket = `              - match: { prefix: / }\n                route: { cluster: upstream }\n                typed_per_filter_config: { envoy.filters.http.local_ratelimit: ${JSON.stringify({ '@type': HTTP_RL, stat_prefix: 'r' })} }\n`;
  t.match(configProblems(httpConfig(1, {}, noBucket)), /local rate limit token bucket must be set for per filter configs/);
  t.match(configProblems(tcpConfig({})), /missing required field 'token_bucket'/);
});

t.test('compliance: HTTP filter with tokens to spare', async (t) => {
  httpFilterCompliance(t, {
    name: 'envoy.filters.http.local_ratelimit',
    typedConfig: { '@type': HTTP_RL, stat_prefix: 'c', token_bucket: { max_tokens: 100000, fill_interval: '1s' }, filter_enabled: ALWAYS, filter_enforced: ALWAYS },
    badConfigs: [{ typedConfig: { '@type': HTTP_RL }, error: /missing required field 'stat_prefix'/ }],
  });
});

t.test('compliance: network filter with tokens to spare', async (t) => {
  networkFilterCompliance(t, {
    name: 'envoy.filters.network.local_ratelimit',
    typedConfig: { '@type': TCP_RL, stat_prefix: 'c', token_bucket: { max_tokens: 100000, fill_interval: '1s' } },
    badConfigs: [{ typedConfig: { '@type': TCP_RL, stat_prefix: 'c', token_bucket: { max_tokens: 1 } }, error: /missing required field 'fill_interval'/ }],
  });
});
