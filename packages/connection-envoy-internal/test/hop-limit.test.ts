// The run-time hop limit, through the real CLI: a request that picks its cluster from a header
// (`cluster_header`, which no config check can follow) is sent round a loop of internal
// listeners; the loop stops at `nodevoy.internal_listener.max_hops` with a stat, a log line and
// an error status for the client, over HTTP/1.1 and over multiplexed HTTP/2 alike.
import t from 'tap';
import { anyHostRoutes, bootstrap, HTTP2_UPSTREAM, httpConnectionManager, httpRequest, internalListener, startNodevoy, tcpListener } from '@nodevoy/test-kit';

const ROUTES = anyHostRoutes(`              - match: { prefix: /loop }
                route: { cluster_header: x-next-hop }
              - match: { prefix: / }
                direct_response: { status: 200, body: { inline_string: "end of the line\\n" } }
`);

function config(protocolOptions: string): string {
  return bootstrap({
    listeners: [tcpListener('front', httpConnectionManager({ routeConfig: ROUTES })), internalListener('looper', httpConnectionManager({ statPrefix: 'looper', routeConfig: ROUTES }))],
    clusters: [
      `  - name: looper
${protocolOptions}    load_assignment:
      cluster_name: looper
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: looper } } } }] }]
`,
    ],
    tail: `layered_runtime:
  layers:
  - name: static
    static_layer: { nodevoy.internal_listener.max_hops: 4 }
`,
  });
}


for (const [name, protocolOptions] of [
  ['HTTP/1.1', ''],
  ['HTTP/2', HTTP2_UPSTREAM],
] as const) {
  t.test(`a loop of internal hops stops at the hop limit (${name} to the internal listener)`, async (t) => {
    const proxy = await startNodevoy(t, config(protocolOptions));
    const port = await proxy.admin.listenerPort('front');

    const looping = await httpRequest(port, { path: '/loop', headers: { 'x-next-hop': 'looper' } });
    t.equal(looping.status, 503, 'the looping request fails instead of spinning');
    const stats = await proxy.admin.stats();
    t.equal(stats.get('internal_listener.hop_limit_exceeded'), 1);
    t.equal(stats.get('cluster.looper.upstream_cx_connect_fail'), 1, 'the fifth hop is refused');
    t.equal(stats.get('http.looper.downstream_rq_total'), 4, 'four internal hops took the request');
    t.match(proxy.stderr(), /internal hop limit reached: a connection to envoy:\/\/looper\/ would be hop 5 of at most 4 \(nodevoy\.internal_listener\.max_hops\)/);

    const again = await httpRequest(port, { path: '/', headers: { 'x-next-hop': 'looper' } });
    t.equal(again.body, 'end of the line\n', 'the proxy carries on');
  });
}
