// envoy.transport_sockets.internal_upstream through the real CLI: host and cluster metadata and
// shared filter state reach the internal listener (Envoy's InternalUpstreamIntegrationTest
// BasicFlow), endpoint_id keeps endpoints apart, and nodevoy's per-request passthrough gives each
// request its own state on a reused upstream connection (Envoy issue #35711). What arrived is
// reported by a third-party HTTP filter on the internal listener (examples/http-filter-passthrough-report).
import { Agent } from 'node:http';
import t from 'tap';
import { ADMIN, anyHostRoutes, curl, HTTP2_UPSTREAM, httpConnectionManager, httpRequest, INTERNAL_LISTENER_BOOTSTRAP, internalListener, startNodevoy, tcpListener } from '@nodevoy/test-kit';

const REPORTER = '--extension';
const REPORTER_PACKAGE = 'nodevoy-http-filter-passthrough-report';

const setFilterState = `          - name: envoy.filters.http.set_filter_state
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.set_filter_state.v3.Config
              on_request_headers:
              - object_key: user
                format_string: { text_format_source: { inline_string: "%REQ(x-user)%" } }
                shared_with_upstream: ONCE
              - object_key: tenant
                format_string: { text_format_source: { inline_string: "%REQ(x-tenant)%" } }
                shared_with_upstream: TRANSITIVE
              - object_key: local_only
                format_string: { text_format_source: { inline_string: "not shared" } }
`;

const reporter = `          - name: report
            typed_config: { "@type": type.googleapis.com/nodevoy.examples.passthrough_report.v1.PassthroughReport }
`;

function internalUpstream(passthrough: string): string {
  return `    transport_socket:
      name: envoy.transport_sockets.internal_upstream
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport
        passthrough_metadata:
${passthrough}        transport_socket:
          name: envoy.transport_sockets.raw_buffer
          typed_config: { "@type": type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer }
`;
}

function internalEndpoint(listener: string, endpointId: string, hostValue: string): string {
  return `        - endpoint:
            address: { envoy_internal_address: { server_listener_name: ${listener}, endpoint_id: ${endpointId} } }
          metadata: { filter_metadata: { host_md: { value: ${hostValue} } } }
`;
}

const HOST_MD = '        - { kind: { host: {} }, name: host_md }\n';


/** A cluster of internal endpoints; `passthrough`: its internal_upstream sources (none: no transport socket). */
function internalCluster(name: string, endpoints: string, options: { extra?: string; passthrough?: string }): string {
  return `  - name: ${name}
${options.extra ?? ''}${options.passthrough === undefined ? '' : internalUpstream(options.passthrough)}    load_assignment:
      cluster_name: ${name}
      endpoints:
      - lb_endpoints:
${endpoints}`;
}

const CONFIG = `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'front',
  httpConnectionManager({
    httpFilters: setFilterState,
    routeConfig: anyHostRoutes(`              - match: { prefix: /one }
                route: { cluster: inner_cluster }
                metadata: { filter_metadata: { route_md: { route: one } } }
              - match: { prefix: /two }
                route: { cluster: middle_cluster }
              - match: { prefix: /h2 }
                route: { cluster: inner_h2_cluster }
              - match: { prefix: /plain }
                route: { cluster: plain_cluster }
`),
  }),
)}${internalListener('inner', httpConnectionManager({ statPrefix: 'inner', httpFilters: reporter, routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 500 } }\n') }))}${internalListener(
  'middle',
  httpConnectionManager({ statPrefix: 'middle', routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: last_cluster } }\n') }),
)}${internalListener('last', httpConnectionManager({ statPrefix: 'last', httpFilters: reporter, routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 500 } }\n') }))}  clusters:
${internalCluster('inner_cluster', internalEndpoint('inner', 'a', 'endpoint-a') + internalEndpoint('inner', 'b', 'endpoint-b'), {
  extra: '    metadata: { filter_metadata: { cluster_md: { value: inner_cluster } } }\n',
  passthrough: `        - { kind: { host: {} }, name: host_md }
        - { kind: { cluster: {} }, name: cluster_md }
        - { kind: { host: {} }, name: absent_md }
        - { kind: { route: {} }, name: route_md }
`,
})}${internalCluster('middle_cluster', internalEndpoint('middle', 'm', 'middle'), { passthrough: HOST_MD })}${internalCluster('last_cluster', internalEndpoint('last', 'l', 'last'), { passthrough: HOST_MD })}${internalCluster('inner_h2_cluster', internalEndpoint('inner', 'h2', 'h2'), { extra: HTTP2_UPSTREAM, passthrough: HOST_MD })}${internalCluster('plain_cluster', internalEndpoint('inner', 'p', 'plain'), {})}${INTERNAL_LISTENER_BOOTSTRAP()}`;

interface Report {
  local_address: string;
  header_names: string[];
  connection: { dynamic_metadata: Record<string, unknown>; filter_state: Record<string, unknown> };
  request: { dynamic_metadata: Record<string, unknown>; filter_state: Record<string, unknown> };
}

async function report(port: number, path: string, headers: Record<string, string>): Promise<Report> {
  const result = await curl([`http://127.0.0.1:${port}${path}`, ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`])]);
  if (result.code !== 0) throw new Error(`curl failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Report;
}

t.test('host and cluster metadata, shared filter state and endpoint_id cross the hop; each request brings its own state', async (t) => {
  const proxy = await startNodevoy(t, CONFIG, { args: [REPORTER, REPORTER_PACKAGE] });
  const port = await proxy.admin.listenerPort('front');

  // Round robin: alice's request opens a connection to one endpoint, bob's one to the other, carol's reuses alice's.
  const alice = await report(port, '/one', { 'x-user': 'alice', 'x-tenant': 't1' });
  const bob = await report(port, '/one', { 'x-user': 'bob', 'x-tenant': 't2' });
  const carol = await report(port, '/one', { 'x-user': 'carol', 'x-tenant': 't3' });

  t.same([alice.local_address, bob.local_address].sort(), ['envoy://inner/a', 'envoy://inner/b'], 'two endpoint ids, two hosts; each accepted connection is addressed with its own');
  t.equal(carol.local_address, alice.local_address);
  for (const seen of [alice, bob]) {
    const endpoint = seen.local_address.slice(-1);
    t.same(seen.connection.dynamic_metadata, { host_md: { value: `endpoint-${endpoint}` }, cluster_md: { value: 'inner_cluster' } }, `host and cluster metadata of endpoint ${endpoint}, as Envoy`);
  }
  t.same(alice.connection.filter_state, { user: 'alice', tenant: 't1' }, 'objects shared with upstream arrive; the unshared one does not');

  t.same(carol.connection.filter_state, { user: 'alice', tenant: 't1' }, "a reused connection still carries its first request's state (Envoy's rule)");
  t.same(carol.request.filter_state, { user: 'carol', tenant: 't3' }, 'but the request sees its own state (per-request passthrough)');
  t.same(carol.request.dynamic_metadata, { route_md: { route: 'one' } }, "the route's metadata travels with the request");
  t.notOk(carol.header_names.includes('x-nodevoy-passthrough'), 'the passthrough tag is taken off before filters see the request');
  t.equal(carol.header_names.includes('x-user'), true);

  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.inner_cluster.upstream_cx_total'), 2, 'two connections: one per endpoint');
  t.equal(stats.get('cluster.inner_cluster.upstream_rq_total'), 3);
  t.equal(stats.get('cluster.inner_cluster.internal_upstream.no_metadata'), 2, 'the missing host namespace, once per connection');
});

t.test('ONCE objects cross one hop, TRANSITIVE ones every hop', async (t) => {
  const proxy = await startNodevoy(t, CONFIG, { args: [REPORTER, REPORTER_PACKAGE] });
  const port = await proxy.admin.listenerPort('front');
  const seen = await report(port, '/two', { 'x-user': 'dave', 'x-tenant': 't4' });
  t.equal(seen.local_address, 'envoy://last/l');
  t.same(seen.connection.dynamic_metadata, { host_md: { value: 'last' } }, "the second hop's own host metadata");
  t.same(seen.connection.filter_state, { tenant: 't4' }, 'after two hops only the transitive object is left');
  t.same(seen.request.filter_state, { tenant: 't4' });
});

t.test('without the internal_upstream transport socket nothing but bytes crosses', async (t) => {
  const proxy = await startNodevoy(t, CONFIG, { args: [REPORTER, REPORTER_PACKAGE] });
  const port = await proxy.admin.listenerPort('front');
  const seen = await report(port, '/plain', { 'x-user': 'erin', 'x-tenant': 't5' });
  t.equal(seen.local_address, 'envoy://inner/p');
  t.same(seen.connection, { dynamic_metadata: {}, filter_state: {} });
  t.same(seen.request, { dynamic_metadata: {}, filter_state: {} });
});

t.test('concurrent requests multiplexed on one HTTP/2 connection each get their own state', async (t) => {
  const proxy = await startNodevoy(t, CONFIG, { args: [REPORTER, REPORTER_PACKAGE] });
  const port = await proxy.admin.listenerPort('front');
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.teardown(() => agent.destroy());
  const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
  const replies = await Promise.all(users.map((user) => httpRequest(port, { path: '/h2', headers: { 'x-user': user, 'x-tenant': 'tx' }, agent })));
  const reports = replies.map((reply) => JSON.parse(reply.body) as Report);
  t.same(
    reports.map((seen) => seen.request.filter_state['user']),
    users,
    'every reply names the user of its own request',
  );
  t.equal(new Set(reports.map((seen) => seen.connection.filter_state['user'])).size, 1, 'all of them crossed on one connection');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.inner_h2_cluster.upstream_cx_total'), 1);
  t.equal(stats.get('cluster.inner_h2_cluster.upstream_rq_total'), users.length);
});

t.test('config errors name the field: a missing inner transport socket, a source without a kind', async (t) => {
  const noInner = CONFIG.replace(
    /        transport_socket:\n          name: envoy\.transport_sockets\.raw_buffer\n          typed_config: \{[^}]*\}\n/,
    '',
  );
  const error = await startNodevoy(t, noInner, { args: [REPORTER, REPORTER_PACKAGE] }).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(error, /static_resources\.clusters\[0\]\.transport_socket\.typed_config: missing required field 'transport_socket'/);

  const noKind = CONFIG.replace('- { kind: { cluster: {} }, name: cluster_md }', '- { name: cluster_md }');
  const kindError = await startNodevoy(t, noKind, { args: [REPORTER, REPORTER_PACKAGE] }).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(kindError, /static_resources\.clusters\[0\]\.transport_socket\.typed_config\.passthrough_metadata\[1\]: missing required field 'kind'/);
});
