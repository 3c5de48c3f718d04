// set_filter_state through the real CLI: the network filter's objects, shared with upstream,
// cross a tcp_proxy hop into an internal listener (read there by the example reporter filter);
// a bad format string is a config error at its field path.
import t from 'tap';
import { ADMIN, INTERNAL_LISTENER_BOOTSTRAP, anyHostRoutes, curl, httpConnectionManager, internalListener, startNodevoy, tcpListener } from '@nodevoy/test-kit';

function config(format: string): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'front',
  `    filter_chains:
    - filters:
      - name: envoy.filters.network.set_filter_state
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.set_filter_state.v3.Config
          on_new_connection:
          - object_key: client
            format_string: { text_format_source: { inline_string: "${format}" } }
            shared_with_upstream: ONCE
          - object_key: empty
            format_string: { text_format: "%REQUESTED_SERVER_NAME%" }
            shared_with_upstream: ONCE
            skip_if_empty: true
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: front
          cluster: inner_cluster
`,
)}${internalListener(
  'inner',
  httpConnectionManager({
    httpFilters: `          - name: report
            typed_config: { "@type": type.googleapis.com/nodevoy.examples.passthrough_report.v1.PassthroughReport }
`,
    routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 500 } }\n'),
  }),
)}  clusters:
  - name: inner_cluster
    transport_socket:
      name: envoy.transport_sockets.internal_upstream
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport
        transport_socket: { name: envoy.transport_sockets.raw_buffer }
    load_assignment:
      cluster_name: inner_cluster
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: inner } } } }] }]
${INTERNAL_LISTENER_BOOTSTRAP()}`;
}

const REPORTER = ['--extension', 'nodevoy-http-filter-passthrough-report'];

t.test('connection filter state set on a TCP listener reaches the internal listener behind tcp_proxy', async (t) => {
  const proxy = await startNodevoy(t, config('client %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%'), { args: REPORTER });
  const port = await proxy.admin.listenerPort('front');
  const result = await curl([`http://127.0.0.1:${port}/`]);
  t.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { connection: { filter_state: Record<string, unknown> } };
  t.same(report.connection.filter_state, { client: 'client 127.0.0.1' }, 'the formatted object arrived; the empty one was skipped');
});

t.test('an unknown format operator is a config error naming the field', async (t) => {
  const error = await startNodevoy(t, config('%NO_SUCH_THING%'), { args: REPORTER }).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(error, /static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.on_new_connection\[0\]\.format_string: Not supported field in StreamInfo: NO_SUCH_THING/);
});

t.test('a json_format value is a config error naming the field: filter state values are text', async (t) => {
  const json = config('x').replace('format_string: { text_format_source: { inline_string: "x" } }', 'format_string: { json_format: { a: "%REQUESTED_SERVER_NAME%" } }');
  const error = await startNodevoy(t, json, { args: REPORTER }).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(error, /typed_config\.on_new_connection\[0\]\.format_string: nodevoy sets filter state from text formats only/);
});
