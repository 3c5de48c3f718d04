import { Agent } from 'node:http';
import t from 'tap';
import { ADMIN, httpConnectionManager, httpRequest, namedReply, startHttpUpstream, startNodevoy, tcpListener, type HttpUpstream, type RunningNodevoy } from '@nodevoy/test-kit';

/** Virtual hosts, route matching, rewrites, redirects, direct responses, weighted clusters. */

function clusterYaml(name: string, port: number): string {
  return `  - name: ${name}
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]
`;
}

function routingConfig(ports: { a: number; b: number; c: number }): string {
  const routeConfig = `            request_headers_to_add: [{ header: { key: x-route-config, value: global } }]
            virtual_hosts:
            - name: exact
              domains: [api.example.com, "api.example.com:8080"]
              response_headers_to_add: [{ header: { key: x-vhost, value: exact } }]
              routes:
              - match: { prefix: /v1/ }
                route: { cluster: a, prefix_rewrite: /v2/ }
              - match: { path: /exact }
                route: { cluster: b }
              - match: { safe_regex: { regex: "^/items/[0-9]+$" } }
                route: { cluster: c }
              - match: { prefix: /, headers: [{ name: x-canary, string_match: { exact: "1" } }] }
                route: { cluster: b }
              - match: { prefix: /CaSe, case_sensitive: false }
                route: { cluster: c }
              - match: { prefix: / }
                route: { cluster: a }
            - name: suffix
              domains: ["*.example.com"]
              request_headers_to_add: [{ header: { key: x-vhost, value: suffix } }]
              routes:
              - match: { prefix: / }
                route: { cluster: b, host_rewrite_literal: rewritten.internal }
                request_headers_to_add: [{ header: { key: x-client, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" } }]
                request_headers_to_remove: [x-secret]
                response_headers_to_add: [{ header: { key: x-route, value: suffix-route } }]
            - name: prefix-wildcard
              domains: ["static.*"]
              routes:
              - match: { prefix: / }
                direct_response: { status: 200, body: { inline_string: "static content\\n" } }
            - name: redirects
              domains: [old.test, "old.test:8000"]
              routes:
              - match: { prefix: /secure }
                redirect: { https_redirect: true }
              - match: { prefix: /moved/ }
                redirect: { host_redirect: new.test, prefix_rewrite: /new/, response_code: PERMANENT_REDIRECT }
              - match: { path: /drop-query }
                redirect: { path_redirect: /landing, strip_query: true, response_code: FOUND }
            - name: weighted
              domains: [weighted.test]
              routes:
              - match: { prefix: / }
                route:
                  weighted_clusters:
                    clusters:
                    - { name: a, weight: 75 }
                    - { name: b, weight: 25 }
            - name: missing-cluster
              domains: [missing.test]
              routes:
              - match: { prefix: /404 }
                route: { cluster_header: x-cluster, cluster_not_found_response_code: NOT_FOUND }
              - match: { prefix: / }
                route: { cluster_header: x-cluster }
            - name: default
              domains: ["*"]
              routes:
              - match: { path: /teapot }
                direct_response: { status: 418, body: { inline_string: "short and stout" } }
              - match: { prefix: /only-here }
                route: { cluster: c }
`;
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig }))}  clusters:
${clusterYaml('a', ports.a)}${clusterYaml('b', ports.b)}${clusterYaml('c', ports.c)}`;
}

t.test('routing', async (t) => {
  const upstreams: Record<'a' | 'b' | 'c', HttpUpstream> = {
    a: await startHttpUpstream(t, namedReply('a')),
    b: await startHttpUpstream(t, namedReply('b')),
    c: await startHttpUpstream(t, namedReply('c')),
  };
  const proxy: RunningNodevoy = await startNodevoy(t, routingConfig({ a: upstreams.a.port, b: upstreams.b.port, c: upstreams.c.port }));
  const port = await proxy.admin.listenerPort('http');
  const get = (host: string, path: string, headers: Record<string, string> = {}) => httpRequest(port, { path, headers: { host, ...headers } });

  t.test('virtual hosts: exact (with and without port), suffix and prefix wildcards, then *', async (t) => {
    t.equal((await get('api.example.com', '/x')).body, 'a GET /x');
    t.equal((await get('API.Example.COM', '/x')).body, 'a GET /x', 'domains match case-insensitively');
    t.equal((await get('api.example.com:8080', '/x')).body, 'a GET /x', 'a domain may name its port');
    t.equal((await get('api.example.com:9090', '/x')).status, 404, 'another port matches neither the exact domain nor *.example.com');
    t.match((await get('www.example.com', '/x')).body, /^b GET \/x/);
    t.equal((await get('static.anything', '/x')).body, 'static content\n');
    t.equal((await get('unknown.test', '/teapot')).status, 418);
    t.equal((await get('unknown.test', '/nothing')).status, 404, 'no route in the catch-all vhost is 404');
    t.equal(await proxy.admin.stat('http.ingress.no_route'), 2);
  });

  t.test('route matching: prefix, path, safe_regex, headers, case_sensitive: false; first match wins', async (t) => {
    t.equal((await get('api.example.com', '/exact')).body, 'b GET /exact');
    t.equal((await get('api.example.com', '/exact/more')).body, 'a GET /exact/more', 'path matches only the whole path');
    t.equal((await get('api.example.com', '/items/42')).body, 'c GET /items/42');
    t.equal((await get('api.example.com', '/items/4x')).body, 'a GET /items/4x', 'the regex must match the whole path');
    t.equal((await get('api.example.com', '/x', { 'x-canary': '1' })).body, 'b GET /x');
    t.equal((await get('api.example.com', '/x', { 'x-canary': '2' })).body, 'a GET /x');
    t.equal((await get('api.example.com', '/case/abc')).body, 'c GET /case/abc');
    t.equal((await get('api.example.com', '/exact?q=1')).body, 'b GET /exact?q=1', 'the query is not part of the path match');
  });

  t.test('prefix_rewrite, host_rewrite_literal, header mutations at every level', async (t) => {
    const response = await get('api.example.com', '/v1/users?id=7');
    t.equal(response.body, 'a GET /v2/users?id=7');
    t.equal(response.headers['x-vhost'], 'exact', 'virtual host response_headers_to_add');
    const seen = upstreams.a.requests.at(-1);
    t.equal(seen?.headers['x-envoy-original-path'], '/v1/users?id=7');
    t.equal(seen?.headers['x-route-config'], 'global', 'route_config request_headers_to_add');
    t.equal(seen?.headers['x-forwarded-proto'], 'http');
    t.match(seen?.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'a generated x-request-id');
    t.equal(seen?.headers['x-envoy-expected-rq-timeout-ms'], '15000', 'the default route timeout');

    const suffixResponse = await get('www.example.com', '/profile', { 'x-secret': 'hunter2' });
    t.equal(suffixResponse.headers['x-route'], 'suffix-route');
    t.match(suffixResponse.headers['x-envoy-upstream-service-time'], /^\d+$/);
    const suffixSeen = upstreams.b.requests.at(-1);
    t.equal(suffixSeen?.headers.host, 'rewritten.internal');
    t.equal(suffixSeen?.headers['x-vhost'], 'suffix');
    t.equal(suffixSeen?.headers['x-client'], '127.0.0.1', 'header values are format strings');
    t.equal(suffixSeen?.headers['x-secret'], undefined, 'request_headers_to_remove');
  });

  t.test('redirects (counted, as Envoy counts them, as direct responses)', async (t) => {
    const directBefore = (await proxy.admin.stat('http.ingress.rq_direct_response')) ?? 0;
    const secure = await get('old.test', '/secure/page?a=1');
    t.equal(secure.status, 301);
    t.equal(secure.headers.location, 'https://old.test/secure/page?a=1');
    t.equal((await get('old.test:8000', '/secure/x')).headers.location, 'https://old.test:8000/secure/x', 'a non-default port stays');
    const moved = await get('old.test:8000', '/moved/thing');
    t.equal(moved.status, 308);
    t.equal(moved.headers.location, 'http://new.test/new/thing', 'host_redirect replaces host and port');
    const dropped = await get('old.test', '/drop-query?x=y');
    t.equal(dropped.status, 302);
    t.equal(dropped.headers.location, 'http://old.test/landing');
    t.equal(await proxy.admin.stat('http.ingress.rq_direct_response'), directBefore + 4);
    t.equal(await proxy.admin.stat('http.ingress.rq_redirect'), 0, 'rq_redirect is for internal redirects');
  });

  t.test('cluster_header picks the cluster; an unknown one is 503, or cluster_not_found_response_code', async (t) => {
    t.equal((await get('missing.test', '/x', { 'x-cluster': 'b' })).body, 'b GET /x');
    t.equal((await get('missing.test', '/x', { 'x-cluster': 'nowhere' })).status, 503);
    t.equal((await get('missing.test', '/x')).status, 503, 'no header, no cluster');
    t.equal((await get('missing.test', '/404', { 'x-cluster': 'nowhere' })).status, 404);
    t.equal(await proxy.admin.stat('http.ingress.no_cluster'), 3);
  });

  t.test('weighted_clusters spread requests by weight (75/25 within tolerance over 400 requests)', async (t) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    t.teardown(() => agent.destroy());
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 50; i++) {
      const batch = await Promise.all(Array.from({ length: 8 }, () => httpRequest(port, { path: '/w', headers: { host: 'weighted.test' }, agent })));
      for (const response of batch) counts[response.body.startsWith('a ') ? 'a' : 'b']++;
    }
    t.equal(counts.a + counts.b, 400);
    // Binomial(400, 0.75): the standard deviation is under 9 requests; 5 of them is a wide margin.
    t.ok(counts.a >= 255 && counts.a <= 345, `cluster a got ${counts.a} of 400`);
  });

  t.test('upstream keep-alive: sequential requests reuse one pooled connection', async (t) => {
    const before = await proxy.admin.stats();
    const firstConnections = before.get('cluster.c.upstream_cx_total') ?? 0;
    const firstRequests = before.get('cluster.c.upstream_rq_total') ?? 0;
    for (let i = 0; i < 10; i++) t.equal((await get('unknown.test', `/only-here/${i}`)).body, `c GET /only-here/${i}`);
    const after = await proxy.admin.stats();
    t.equal(after.get('cluster.c.upstream_rq_total'), firstRequests + 10);
    t.ok((after.get('cluster.c.upstream_cx_total') ?? 0) - firstConnections <= 1, 'at most one new upstream connection for ten requests');
    const ports = new Set(upstreams.c.requests.slice(-10).map((r) => r.remotePort));
    t.equal(ports.size, 1, 'the upstream saw all ten on one connection');
    t.equal(after.get('cluster.c.upstream_rq_200'), (before.get('cluster.c.upstream_rq_200') ?? 0) + 10);
  });

  t.test('stats: requests by class, completed, per cluster', async (t) => {
    const stats = await proxy.admin.stats();
    const total = stats.get('http.ingress.downstream_rq_total') ?? 0;
    const byClass = ['1xx', '2xx', '3xx', '4xx', '5xx'].reduce((sum, c) => sum + (stats.get(`http.ingress.downstream_rq_${c}`) ?? 0), 0);
    t.ok(total > 400);
    t.equal(byClass, total, 'every request was answered and counted in one class');
    t.equal(stats.get('http.ingress.downstream_rq_completed'), total);
    t.equal(stats.get('http.ingress.downstream_rq_active'), 0);
  });
});
