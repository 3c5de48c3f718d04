// The example third-party filter, loaded by the real CLI with --extension: proof that a filter
// in its own package needs no change to nodevoy's core.
import t from 'tap';
import { ADMIN, INTERNAL_LISTENER_BOOTSTRAP, cluster, collect, connectTo, internalListener, runNodevoy, startEchoServer, startNodevoy, tcpListener, writeConfig } from '@nodevoy/test-kit';

const COUNTED_CHAIN = (cluster: string) => `    filter_chains:
    - filters:
      - name: byte_counter
        typed_config:
          "@type": type.googleapis.com/nodevoy.examples.byte_counter.v1.ByteCounter
          stat_prefix: edge
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: edge
          cluster: ${cluster}
`;

function config(upstreamPort: number): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('edge', COUNTED_CHAIN('to_inner'))}${internalListener(
    'inner',
    `    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: inner
          cluster: upstream
`,
  )}  clusters:
${cluster('to_inner', [{ internal: 'inner' }])}${cluster('upstream', [{ port: upstreamPort }])}${INTERNAL_LISTENER_BOOTSTRAP()}`;
}

t.test('loaded with --extension, the filter counts what crosses it', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(t, config(upstream.port), { args: ['--extension', 'nodevoy-filter-byte-counter'] });
  t.match(proxy.stderr(), /loaded extension nodevoy-filter-byte-counter/);
  const client = await connectTo(t, await proxy.admin.listenerPort('edge'));
  const received = collect(client);
  client.end('twelve bytes');
  t.equal((await received).data.toString(), 'twelve bytes');
  await proxy.admin.waitForStat('byte_counter.edge.tx_bytes', (v) => v === 12);
  t.equal(await proxy.admin.stat('byte_counter.edge.rx_bytes'), 12);
  t.equal(await proxy.admin.stat('byte_counter.edge.connections'), 1);
});

t.test('without --extension the config names the missing extension', async (t) => {
  const result = await runNodevoy(['-c', writeConfig(t, config(1)), '--mode', 'validate']);
  t.equal(result.code, 1);
  t.match(result.stderr, /typed_config\.@type: unknown envoy\.filters\.network extension 'type\.googleapis\.com\/nodevoy\.examples\.byte_counter\.v1\.ByteCounter'/);
});

t.test('an extension built for another core is refused with both versions named', async (t) => {
  const dir = t.testdir({
    'future-filter.mjs': `export const extension = { name: 'future-filter', coreRange: '^9.0.0', register() {} };\n`,
    'config.yaml': config(1),
  });
  const result = await runNodevoy(['-c', `${dir}/config.yaml`, '--extension', './future-filter.mjs', '--mode', 'validate']);
  t.equal(result.code, 1);
  t.match(result.stderr, /future-filter works with @nodevoy\/core \^9\.0\.0, but this is @nodevoy\/core 0\.1\.0/);
});

t.test('a module that is not a nodevoy extension is refused', async (t) => {
  const dir = t.testdir({ 'not-an-extension.mjs': 'export const x = 1;\n', 'config.yaml': config(1) });
  const result = await runNodevoy(['-c', `${dir}/config.yaml`, '--extension', './not-an-extension.mjs']);
  t.equal(result.code, 1);
  t.match(result.stderr, /it must export 'extension' with name, coreRange and register\(registry\)/);
});
