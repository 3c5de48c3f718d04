// Active TCP health checks (envoy.health_checkers.tcp): connect-only, and send/receive payloads
// matched as Envoy matches them (every expected segment, in order); a refused or silent host is
// out of the load-balancing set, so tcp_proxy connections go to the hosts that pass.
import t from 'tap';
import {
  askOnce,
  bootstrap,
  closedPort,
  cluster,
  startEchoServer,
  startInProcess,
  startTaggedEchoServer,
  startTcpServer,
  tcpListener,
  tcpProxyFilter,
  configProblems,
} from '@nodevoy/test-kit';

const healthChecks = (tcpCheck: string, timeout = '1s') => `    health_checks:
    - timeout: ${timeout}
      interval: 0.05s
      no_traffic_interval: 0.05s
      unhealthy_threshold: 1
      healthy_threshold: 1
      tcp_health_check: { ${tcpCheck} }
`;

const proxyTo = (ports: readonly number[], tcpCheck: string, timeout?: string) =>
  bootstrap({
    listeners: [tcpListener('tcp', tcpProxyFilter({ statPrefix: 'tcp', cluster: 'backend' }))],
    clusters: [cluster('backend', ports.map((port) => ({ port })), healthChecks(tcpCheck, timeout))],
  });

t.test('connect-only: a refused host takes no connections', async (t) => {
  const up = await startTaggedEchoServer(t, 'up:');
  const refused = await closedPort();
  const proxy = await startInProcess(t, proxyTo([up.port, refused], ''));
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1);
  t.equal(proxy.stat('cluster.backend.health_check.network_failure'), 1);
  for (let i = 0; i < 4; i++) t.equal(await askOnce(t, proxy.port('tcp'), `q${i}`, 5), `up:q${i}`, 'every connection reaches the live host');
  t.equal(proxy.stat('cluster.backend.upstream_cx_connect_fail'), 0);
});

t.test('send and receive: the reply must hold the expected bytes', async (t) => {
  const echo = await startEchoServer(t);
  // Answers every check with the wrong word, but keeps the connection open.
  const wrong = await startTcpServer(t, (socket) => socket.on('data', () => socket.write('pong')));
  // "ping" in hex, sent; "pi" then "ng" expected, in order.
  const proxy = await startInProcess(t, proxyTo([echo.port, wrong.port], 'send: { text: "70696e67" }, receive: [{ text: "7069" }, { text: "6e67" }]', '0.2s'));
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1);
  t.equal(proxy.stat('cluster.backend.health_check.network_failure'), 1, 'a reply that never matches ends in a timeout');
  await proxy.waitForStat('cluster.backend.health_check.success', (n) => n >= 3);
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1, 'the echo keeps passing on its kept connection');
});

t.test('a host that stops answering is taken out; back when it passes', async (t) => {
  let up = true;
  const flaky = await startTcpServer(t, (socket) => socket.on('data', (data) => up && socket.write(data)));
  const steady = await startEchoServer(t);
  const proxy = await startInProcess(t, proxyTo([flaky.port, steady.port], 'send: { text: "6f6b" }, receive: [{ text: "6f6b" }]', '0.2s'));
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 2);
  up = false;
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 1);
  up = true;
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 2);
  t.pass('the host came back');
});

t.test('bad payloads name the field', async (t) => {
  t.match(configProblems(proxyTo([1], 'send: { text: "abc" }')), /tcp_health_check\.send\.text: invalid hex string 'abc'/);
  t.match(configProblems(proxyTo([1], 'send: {}')), /tcp_health_check\.send: one of 'text', 'binary' is required/);
});
