// envoy.stat_sinks.statsd and envoy.stat_sinks.dog_statsd against real UDP receivers: counters
// as their change since the last flush, gauges, histogram values as they are recorded, the
// prefix, DogStatsD's tag-extracted names and tags, batching by max_bytes_per_datagram, and the
// config errors for what nodevoy does not send to.
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { ADMIN, anyHostRoutes, configProblems, httpConnectionManager, httpRequest, startInProcess, tcpListener, waitFor, type TestLike } from '@nodevoy/test-kit';

/** A statsd server on 127.0.0.1:0: every datagram it receives, and every line of them. */
async function statsdReceiver(t: TestLike): Promise<{ port: number; datagrams: string[]; lines: () => string[] }> {
  const socket = createSocket('udp4');
  const datagrams: string[] = [];
  socket.on('message', (message) => datagrams.push(message.toString()));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  t.teardown(() => socket.close());
  return { port: (socket.address() as AddressInfo).port, datagrams, lines: () => datagrams.flatMap((d) => d.split('\n')) };
}

const DIRECT = anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200, body: { inline_string: ok } } }\n');

async function setup(t: TestLike, sinks: (statsd: number, dog: number) => string) {
  const statsd = await statsdReceiver(t);
  const dog = await statsdReceiver(t);
  const proxy = await startInProcess(
    t,
    `stats_flush_interval: 0.05s\nstats_sinks:\n${sinks(statsd.port, dog.port)}${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', httpConnectionManager({ routeConfig: DIRECT }))}`,
  );
  return { proxy, statsd, dog, get: () => httpRequest(proxy.port('http')) };
}

const BOTH = (statsd: number, dog: number) => `- name: envoy.stat_sinks.statsd
  typed_config:
    "@type": type.googleapis.com/envoy.config.metrics.v3.StatsdSink
    address: { socket_address: { address: 127.0.0.1, port_value: ${statsd} } }
    prefix: edge
- name: envoy.stat_sinks.dog_statsd
  typed_config:
    "@type": type.googleapis.com/envoy.config.metrics.v3.DogStatsdSink
    address: { socket_address: { address: 127.0.0.1, port_value: ${dog} } }
`;

t.test('statsd: counters by their change, gauges, histogram values as recorded; one line a datagram', async (t) => {
  const { statsd, get } = await setup(t, BOTH);
  await get();
  await get();
  // The two requests may fall into one flush or two: their changes add up to 2.
  const counted = () => statsd.lines().reduce((sum, line) => sum + Number(/^edge\.http\.ingress\.downstream_rq_total:(\d+)\|c$/.exec(line)?.[1] ?? 0), 0);
  await waitFor(() => counted() === 2 || undefined);
  t.ok(statsd.lines().some((line) => /^edge\.http\.ingress\.downstream_rq_time:\d+\|ms$/.test(line)), 'each request’s time, as it was recorded');
  t.ok(statsd.lines().includes('edge.server.live:1|g'));
  t.ok(statsd.datagrams.every((datagram) => !datagram.includes('\n')), 'statsd: one metric per datagram');
  // The next flush: nothing more counted.
  await waitFor(() => statsd.lines().includes('edge.http.ingress.downstream_rq_total:0|c') || undefined);
  await get();
  await waitFor(() => counted() === 3 || undefined);
});

t.test('dog_statsd: Envoy’s tag-extracted names and tags, the default prefix', async (t) => {
  const { dog, get } = await setup(t, BOTH);
  await get();
  await waitFor(() => dog.lines().includes('envoy.http.downstream_rq_total:1|c|#envoy.http_conn_manager_prefix:ingress') || undefined);
  t.ok(dog.lines().some((line) => /^envoy\.http\.downstream_rq_time:\d+\|ms\|#envoy\.http_conn_manager_prefix:ingress$/.test(line)));
  t.ok(dog.lines().some((line) => /^envoy\.listener\.downstream_cx_total:1\|c\|#envoy\.listener_address:127\.0\.0\.1_\d+$/.test(line)));
});

t.test('dog_statsd max_bytes_per_datagram: lines batched, none past the limit', async (t) => {
  const { dog, get } = await setup(
    t,
    (_statsd, port) => `- name: envoy.stat_sinks.dog_statsd
  typed_config:
    "@type": type.googleapis.com/envoy.config.metrics.v3.DogStatsdSink
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    max_bytes_per_datagram: 512
`,
  );
  await get();
  await waitFor(() => dog.datagrams.some((datagram) => datagram.includes('\n')) || undefined);
  t.ok(dog.datagrams.every((datagram) => Buffer.byteLength(datagram) <= 512));
});

t.test('what nodevoy does not send to is a config error', async (t) => {
  const withSink = (sink: string) => `stats_sinks:\n${sink}${ADMIN}`;
  t.match(
    configProblems(withSink('- name: envoy.stat_sinks.statsd\n  typed_config:\n    "@type": type.googleapis.com/envoy.config.metrics.v3.StatsdSink\n    tcp_cluster_name: statsd\n')),
    /stats_sinks\[0\]\.typed_config\.tcp_cluster_name: .*not implemented by nodevoy yet/,
  );
  t.match(
    configProblems(withSink('- name: envoy.stat_sinks.statsd\n  typed_config:\n    "@type": type.googleapis.com/envoy.config.metrics.v3.StatsdSink\n    address: { envoy_internal_address: { server_listener_name: x } }\n')),
    /stats_sinks\[0\]\.typed_config\.address: a statsd sink sends UDP datagrams to a socket_address/,
  );
  t.match(configProblems(`stats_flush_interval: 0s\n${ADMIN}`), /stats_flush_interval/);
});
