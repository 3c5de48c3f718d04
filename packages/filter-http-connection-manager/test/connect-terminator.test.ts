// A connection manager terminating an HTTP/1.1 CONNECT into a TCP upstream: an upstream that
// half-closes first resets the tunnel (an HTTP/1.1 tunnel cannot carry a half-close, as in Envoy),
// and the upstream connection is closed with it rather than left half-open for ever.
import { once } from 'node:events';
import type { Socket } from 'node:net';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, collect, connectTo, httpConnectionManager, startInProcess, startTcpServer, tcpListener } from '@nodevoy/test-kit';

t.test('the upstream half-closes an HTTP/1.1 tunnel first: the client is reset, the upstream connection closed', async (t) => {
  const origin = await startTcpServer(t, (socket) => socket.end('bye\n'));
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'http',
  httpConnectionManager({
    extra: '          upgrade_configs: [{ upgrade_type: CONNECT }]\n',
    routeConfig: anyHostRoutes('              - { match: { connect_matcher: {} }, route: { cluster: origin, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: {} }] } }\n'),
  }),
)}  clusters:
${cluster('origin', [{ port: origin.port }])}`,
  );
  const client = await connectTo(t, proxy.port('http'));
  const received = collect(client);
  client.write('CONNECT origin.test:443 HTTP/1.1\r\nhost: origin.test:443\r\n\r\n');
  const upstreamSide = await origin.accepted(0);
  const upstreamClosed = once(upstreamSide as Socket, 'close');
  const { data } = await received;
  t.match(data.toString(), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nbye\n$/, 'the tunnel opened and carried the upstream’s bytes');
  await upstreamClosed;
  t.pass('the upstream connection was closed by the proxy');
  t.equal(await proxy.waitForStat('cluster.origin.upstream_cx_active', (v) => v === 0), 0);
  t.equal(proxy.stat('cluster.origin.upstream_cx_destroy_local'), 1, 'closed by the proxy');
});
