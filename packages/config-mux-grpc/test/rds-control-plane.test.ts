// Routes from RDS, served by go-control-plane over ADS: a connection manager with `rds` warms
// until its route configuration arrives, takes each new version for the requests after it
// without touching its listener, and NACKs a route configuration it cannot use.
import t from 'tap';
import { freePort, httpRequest, startHttpUpstream, startInProcess } from '@nodevoy/test-kit';
import { controlPlaneUnavailable, startControlPlane } from '../../../test-support/xds-control-plane.js';
import { edsCluster, loadAssignment, xdsBootstrap } from '../../../test-support/xds-resources.js';

const NODE = 'rds-node';
const T = 'type.googleapis.com/envoy.';
const ROUTES = `${T}config.route.v3.RouteConfiguration`;
const unavailable = controlPlaneUnavailable();

const cluster = edsCluster('backend');
const endpoints = (port: number) => loadAssignment('backend', port);
const listener = (port: number) => ({
  '@type': `${T}config.listener.v3.Listener`,
  name: 'http',
  address: { socket_address: { address: '127.0.0.1', port_value: port } },
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': `${T}extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
            stat_prefix: 'ingress',
            rds: { route_config_name: 'local_route', config_source: { ads: {}, resource_api_version: 'V3' } },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': `${T}extensions.filters.http.router.v3.Router` } }],
          },
        },
      ],
    },
  ],
});
const routes = (route: object, extra: object = {}) => ({
  '@type': ROUTES,
  name: 'local_route',
  ...extra,
  virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, ...route }] }],
});

for (const apiType of ['GRPC', 'DELTA_GRPC'] as const) {
  const delta = apiType === 'DELTA_GRPC';
  t.test(`RDS over ADS (${delta ? 'delta' : 'state of the world'}) against go-control-plane`, { skip: unavailable ?? false }, async (t) => {
    const controlPlane = await startControlPlane(t);
    const upstream = await startHttpUpstream(t);
    const port = await freePort();
    await controlPlane.setSnapshot(NODE, 'v1', [cluster, endpoints(upstream.port), listener(port), routes({ route: { cluster: 'backend' } })]);
    const proxy = await startInProcess(t, xdsBootstrap(controlPlane.grpcPort, NODE, { apiType }));

    const first = await httpRequest(port, { path: '/hello' });
    t.equal(first.status, 200, 'the listener served only once its routes arrived');
    t.equal(first.body, 'upstream GET /hello');
    await controlPlane.waitForRequest((r) => r.type_url === ROUTES && (delta || r.version_info === 'v1') && r.response_nonce !== '' && !r.error_detail, 'an ACK of the routes');
    t.same((await controlPlane.requests()).find((r) => r.type_url === ROUTES)?.resource_names, ['local_route'], 'asked for by name');
    t.equal(proxy.stat('http.ingress.rds.local_route.update_success'), 1);
    t.equal(proxy.stat('http.ingress.rds.local_route.config_reload'), 1);

    await t.test('a new route configuration applies to the next requests; the listener stays', async (t) => {
      await controlPlane.setSnapshot(NODE, 'v2', [cluster, endpoints(upstream.port), listener(port), routes({ direct_response: { status: 418, body: { inline_string: 'from v2' } } })]);
      await proxy.waitForStat('http.ingress.rds.local_route.config_reload', (n) => n === 2);
      const second = await httpRequest(port, { path: '/hello' });
      t.equal(second.status, 418);
      t.equal(second.body, 'from v2');
      t.equal(proxy.stat('listener_manager.listener_modified'), 0, 'only the routes changed');
    });

    await t.test("a changed cluster's pooled connections take no new request: the next one opens a new connection", async (t) => {
      await controlPlane.setSnapshot(NODE, 'v2.1', [cluster, endpoints(upstream.port), listener(port), routes({ route: { cluster: 'backend' } })]);
      await proxy.waitForStat('http.ingress.rds.local_route.config_reload', (n) => n === 3);
      const before = upstream.requests.length;
      await httpRequest(port, { path: '/a' });
      await httpRequest(port, { path: '/b' });
      const [a, b] = upstream.requests.slice(before);
      t.equal(a?.remotePort, b?.remotePort, 'one pooled connection');
      await controlPlane.setSnapshot(NODE, 'v2.2', [{ ...cluster, connect_timeout: '2s' }, endpoints(upstream.port), listener(port), routes({ route: { cluster: 'backend' } })]);
      await proxy.waitForStat('cluster_manager.cluster_modified', (n) => n === 1);
      t.equal((await httpRequest(port, { path: '/c' })).body, 'upstream GET /c');
      const c = upstream.requests.at(-1);
      t.not(c?.remotePort, b?.remotePort, 'the changed cluster opened its own connection');
      await controlPlane.setSnapshot(NODE, 'v2.3', [cluster, endpoints(upstream.port), listener(port), routes({ direct_response: { status: 418, body: { inline_string: 'from v2' } } })]);
      await proxy.waitForStat('http.ingress.rds.local_route.config_reload', (n) => n === 4);
    });

    await t.test('a route configuration naming an unknown cluster, with validate_clusters, is NACKed and v2 keeps serving', async (t) => {
      await controlPlane.setSnapshot(NODE, 'v3', [cluster, endpoints(upstream.port), listener(port), routes({ route: { cluster: 'nope' } }, { validate_clusters: true })]);
      const nack = await controlPlane.waitForRequest((r) => r.type_url === ROUTES && r.error_detail !== undefined, 'a NACK of the routes');
      if (!delta) t.equal(nack.version_info, 'v2.3');
      t.match(nack.error_detail, "virtual_hosts[0].routes[0].route.cluster: route: unknown cluster 'nope'");
      t.equal((await httpRequest(port)).status, 418, 'v2 still serves');
      t.ok(proxy.stat('http.ingress.rds.local_route.update_rejected') >= 1);
    });
  });
}
