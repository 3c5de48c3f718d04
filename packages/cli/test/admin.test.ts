// Admin endpoints, shaped like Envoy's, with values that match the traffic the test sent.
import t from 'tap';
import { collect, connectTo, seedTopology, startEchoServer, startNodevoy } from '@nodevoy/test-kit';

t.test('admin reports what the traffic did', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(t, seedTopology(upstream.port));
  const admin = proxy.admin;
  const port = await admin.listenerPort('outbound');

  for (const message of ['one', 'three']) {
    const client = await connectTo(t, port);
    const received = collect(client);
    client.end(message);
    t.equal((await received).data.toString(), message);
  }
  await admin.waitForStat('listener.127.0.0.1_0.downstream_cx_destroy', (v) => v === 2);
  const bytes = 'one'.length + 'three'.length;

  t.test('/stats counts connections and bytes on every hop, with Envoy names', async (t) => {
    const stats = await admin.stats();
    const expected: Record<string, number> = {
      'listener.127.0.0.1_0.downstream_cx_total': 2,
      'listener.127.0.0.1_0.downstream_cx_active': 0,
      'listener.127.0.0.1_0.worker_0.downstream_cx_total': 2,
      'listener.envoy_internal_inner.downstream_cx_total': 2,
      'listener.envoy_internal_inner.downstream_cx_destroy': 2,
      'tcp.outbound.downstream_cx_total': 2,
      'tcp.outbound.downstream_cx_rx_bytes_total': bytes,
      'tcp.outbound.downstream_cx_tx_bytes_total': bytes,
      'tcp.inner.downstream_cx_rx_bytes_total': bytes,
      'cluster.to_inner.upstream_cx_total': 2,
      'cluster.to_inner.upstream_cx_tx_bytes_total': bytes,
      'cluster.to_inner.upstream_cx_rx_bytes_total': bytes,
      'cluster.upstream.upstream_cx_total': 2,
      'cluster.upstream.upstream_cx_active': 0,
      'cluster.upstream.upstream_cx_connect_fail': 0,
      'cluster.upstream.upstream_rq_total': 2,
      'cluster_manager.active_clusters': 2,
      'listener_manager.total_listeners_active': 2,
      'server.live': 1,
      'server.total_connections': 0,
    };
    for (const [name, value] of Object.entries(expected)) t.equal(stats.get(name), value, name);
    const text = (await admin.get('/stats')).body;
    t.match(text, /^tcp\.outbound\.downstream_cx_total: 2$/m, 'text format is `name: value`');
    t.match(text, /^cluster\.upstream\.upstream_cx_length_ms: P0\(/m, 'histograms after, with quantiles');
    const filtered = (await admin.get('/stats?filter=^tcp\\.inner\\.')).body.trim().split('\n');
    t.ok(filtered.length > 3 && filtered.every((l) => l.startsWith('tcp.inner.')), '?filter= is a regex over names');
  });

  t.test('/stats/prometheus tags stats as Envoy does', async (t) => {
    const body = (await admin.get('/stats/prometheus')).body;
    t.match(body, /^# TYPE envoy_tcp_downstream_cx_total counter$/m);
    t.match(body, /^envoy_tcp_downstream_cx_total\{envoy_tcp_prefix="outbound"\} 2$/m);
    t.match(body, /^envoy_cluster_upstream_cx_total\{envoy_cluster_name="upstream"\} 2$/m);
    t.match(body, /^envoy_listener_downstream_cx_total\{envoy_listener_address="envoy_internal_inner"\} 2$/m);
    t.match(body, /^envoy_listener_worker_downstream_cx_total\{envoy_worker_id="0",envoy_listener_address="127\.0\.0\.1_0"\} 2$/m);
    t.match(body, /^envoy_cluster_upstream_cx_length_ms_bucket\{envoy_cluster_name="upstream",le="\+Inf"\} 2$/m);
  });

  t.test('/listeners shows the bound port and the internal listener', async (t) => {
    const json = await admin.json<{ listener_statuses: unknown[] }>('/listeners?format=json');
    t.same(json.listener_statuses, [
      { name: 'outbound', local_address: { socket_address: { address: '127.0.0.1', port_value: port } } },
      { name: 'inner', local_address: { envoy_internal_address: { server_listener_name: 'inner' } } },
    ]);
    t.equal((await admin.get('/listeners')).body, `outbound::127.0.0.1:${port}\ninner::envoy://inner/\n`);
  });

  t.test('/clusters lists hosts with their counters', async (t) => {
    const text = (await admin.get('/clusters')).body;
    t.match(text, new RegExp(`^upstream::127\\.0\\.0\\.1:${upstream.port}::cx_total::2$`, 'm'));
    t.match(text, /^to_inner::envoy:\/\/inner\/::cx_total::2$/m);
    t.match(text, /^upstream::default_priority::max_connections::1024$/m);
    const json = await admin.json<{ cluster_statuses: { name: string; host_statuses: { address: unknown; stats: { name: string; value?: string }[] }[] }[] }>(
      '/clusters?format=json',
    );
    const toInner = json.cluster_statuses.find((c) => c.name === 'to_inner');
    t.same(toInner?.host_statuses[0]?.address, { envoy_internal_address: { server_listener_name: 'inner' } });
    t.same(toInner?.host_statuses[0]?.stats.find((s) => s.name === 'cx_total'), { value: '2', name: 'cx_total' });
  });

  t.test('/server_info, /ready, /config_dump, /runtime', async (t) => {
    const info = await admin.json<Record<string, unknown>>('/server_info');
    t.same(Object.keys(info).sort(), ['command_line_options', 'hot_restart_initializing', 'hot_restart_version', 'node', 'state', 'uptime_all_epochs', 'uptime_current_epoch', 'version']);
    t.equal(info['state'], 'LIVE');
    t.match(info['version'], /^nodevoy\/\d+\.\d+\.\d+\//);
    const ready = await admin.get('/ready');
    t.equal(ready.status, 200);
    t.equal(ready.body, 'LIVE\n');
    const dump = await admin.json<{ configs: { '@type': string; static_listeners?: { listener: { name: string } }[] }[] }>('/config_dump');
    t.same(
      dump.configs.map((c) => c['@type']),
      ['type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump'],
    );
    t.same(dump.configs[2]?.static_listeners?.map((l) => l.listener.name), ['outbound', 'inner']);
    t.same(await admin.json('/runtime'), { layers: [], entries: {} });
  });

  t.test('/quitquitquit needs POST, then the server exits 0', async (t) => {
    const get = await admin.get('/quitquitquit');
    t.equal(get.status, 405);
    const exited = new Promise<number | null>((resolve) => proxy.child.once('exit', resolve));
    const post = await admin.get('/quitquitquit', { method: 'POST' });
    t.equal(post.status, 200);
    t.equal(await exited, 0);
  });
});

t.test('runtime layers are flattened and readable', async (t) => {
  const upstream = await startEchoServer(t);
  const config = `${seedTopology(upstream.port)}layered_runtime:
  layers:
  - name: base
    static_layer:
      envoy: { reloadable_features: { internal_address: true } }
      my.key: 1
  - name: override
    static_layer:
      my.key: 2
`;
  const proxy = await startNodevoy(t, config);
  const runtime = await proxy.admin.json<{ layers: string[]; entries: Record<string, { final_value: string; layer_values: string[] }> }>('/runtime');
  t.same(runtime.layers, ['base', 'override']);
  t.same(runtime.entries['my.key'], { layer_values: ['1', '2'], final_value: '2' });
  t.equal(runtime.entries['envoy.reloadable_features.internal_address']?.final_value, 'true');
});

t.test('the admin address is logged at startup; one beyond loopback is warned about', async (t) => {
  const upstream = await startEchoServer(t);
  const local = await startNodevoy(t, seedTopology(upstream.port));
  t.match(local.stderr(), new RegExp(`\\[info\\]\\[main\\] admin address: ${local.admin.address.replace(/\./g, '\\.')}\\n`));
  t.notMatch(local.stderr(), /non-loopback/);
  await local.stop('SIGTERM');

  const open = await startNodevoy(t, seedTopology(upstream.port).replace('address: 127.0.0.1, port_value: 0 }', 'address: 0.0.0.0, port_value: 0 }'));
  t.match(open.stderr(), /\[warning\]\[main\] admin interface bound to non-loopback address 0\.0\.0\.0:\d+: anyone who can reach it can read the config and stop the server/);
});
