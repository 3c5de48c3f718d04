// The config `npm start` runs: it must work on its own, as the README promises.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { collect, connectTo, curl, startNodevoy } from '@nodevoy/test-kit';
import { DEFAULT_CONFIG } from '../../../test-support/paths.js';

t.test('the bundled default config: the seed chain echoes, and the HTTP chain answers through CONNECT', async (t) => {
  // Free ports instead of the fixed ones, so the test runs beside anything.
  const yaml = readFileSync(DEFAULT_CONFIG, 'utf8').replace(/port_value: (9901|19000|10000)\b/g, 'port_value: 0');
  const proxy = await startNodevoy(t, yaml);

  const client = await connectTo(t, await proxy.admin.listenerPort('outbound_tcp_svc_19000'));
  const received = collect(client);
  client.end('typed by a user\n');
  t.equal((await received).data.toString(), 'typed by a user\n');

  const http = await curl(['-i', `http://127.0.0.1:${await proxy.admin.listenerPort('http')}/`]);
  t.equal(http.code, 0, http.stderr);
  t.match(http.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(http.stdout, /\r\n\r\nHello from nodevoy: this answer crossed an HTTP\/2 CONNECT tunnel and three internal listeners\.\n$/);
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.terminate_cluster.upstream_cx_http2_total'), 1, 'the tunnel is HTTP/2 CONNECT');
  t.equal(stats.get('http.terminate.downstream_cx_upgrades_total'), 1, 'and was terminated');
});

// As `npm start` runs it (one worker per core) and with the default 600 s drain time: after a
// request through the HTTP chain, the pooled connections between internal listeners are idle,
// and SIGTERM must not wait for them. A drain that waited would outlast this test's timeout.
t.test('SIGTERM after traffic: idle pooled connections between hops close, and it exits 0', { timeout: 30_000 }, async (t) => {
  const yaml = readFileSync(DEFAULT_CONFIG, 'utf8').replace(/port_value: (9901|19000|10000)\b/g, 'port_value: 0');
  const proxy = await startNodevoy(t, yaml, { args: ['--drain-time-s', '600', '--concurrency', '2'] });
  const port = await proxy.admin.listenerPort('http');
  for (let i = 0; i < 4; i++) t.equal((await curl([`http://127.0.0.1:${port}/`])).code, 0);
  const stats = await proxy.admin.stats();
  t.equal(await proxy.stop('SIGTERM'), 0);
  t.ok((stats.get('http.ingress_http.downstream_rq_total') ?? 0) === 4, 'four requests went through before the drain');
});
