// tcp_proxy and listener access logs through the real CLI: what each hop of a chain writes, the
// flags and reason of a refused upstream, entries on connect and every flush interval, a
// connection no filter chain takes, and config errors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bootstrap, closedPort, cluster, collect, connectTo, fileAccessLog, fileAccessLogs, internalListener, runNodevoy, startEchoServer, startNodevoy, tcpListener, tcpProxyFilter, waitFor, waitForLines, writeConfig } from '@nodevoy/test-kit';

const FORMAT = '%ACCESS_LOG_TYPE% %UPSTREAM_CLUSTER% %UPSTREAM_HOST% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %UPSTREAM_TRANSPORT_FAILURE_REASON%\n';

t.test('each hop of a chain logs its own upstream and bytes; the listener logs the connection first', async (t) => {
  const upstream = await startEchoServer(t);
  const dir = t.testdir();
  const [outer, inner, listener] = [join(dir, 'outer.log'), join(dir, 'inner.log'), join(dir, 'listener.log')] as const;
  const proxy = await startNodevoy(
    t,
    bootstrap({
      listeners: [
        tcpListener('outbound', tcpProxyFilter({ statPrefix: 'outbound', cluster: 'to_inner', extra: fileAccessLog(outer, FORMAT) }), fileAccessLog(listener, `listener ${FORMAT}`, 4)),
        internalListener('inner', tcpProxyFilter({ statPrefix: 'inner', cluster: 'upstream', extra: fileAccessLog(inner, FORMAT) })),
      ],
      clusters: [cluster('to_inner', [{ internal: 'inner' }]), cluster('upstream', [{ port: upstream.port }])],
    }),
  );
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const received = collect(client);
  client.end('twelve bytes');
  t.equal((await received).data.toString(), 'twelve bytes');
  t.same(await waitForLines(outer, 1), ['TcpConnectionEnd to_inner envoy://inner/ - 12 12 -']);
  t.same(await waitForLines(inner, 1), [`TcpConnectionEnd upstream 127.0.0.1:${upstream.port} - 12 12 -`]);
  t.same(await waitForLines(listener, 1), ['listener NotSet to_inner envoy://inner/ - 12 12 -'], 'the listener entry reads what tcp_proxy found');
});

t.test("a refused upstream: Envoy's UF,URX flags and the connect error, in the default format too", async (t) => {
  const dead = await closedPort();
  const dir = t.testdir();
  const custom = join(dir, 'custom.log');
  const standard = join(dir, 'default.log');
  const proxy = await startNodevoy(
    t,
    bootstrap({
      listeners: [tcpListener('in', tcpProxyFilter({ statPrefix: 'in', cluster: 'dead', extra: fileAccessLogs([{ path: custom, format: FORMAT }, { path: standard }]) }))],
      clusters: [cluster('dead', [{ port: dead }])],
    }),
  );
  const client = await connectTo(t, await proxy.admin.listenerPort('in'));
  const end = collect(client);
  client.write('never delivered');
  t.equal((await end).data.length, 0, 'the client gets nothing');
  t.same(await waitForLines(custom, 1), [`TcpConnectionEnd dead 127.0.0.1:${dead} UF,URX 0 0 delayed_connect_error:_Connection_refused`]);
  const [line] = await waitForLines(standard, 1);
  t.match(line, new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\] "- - -" 0 UF,URX 0 0 \\d+ - "-" "-" "-" "-" "127\\.0\\.0\\.1:${dead}"$`));
});

t.test('flush_access_log_on_connected and access_log_flush_interval write entries while the connection lives', async (t) => {
  const upstream = await startEchoServer(t);
  const path = join(t.testdir(), 'access.log');
  const options = '          access_log_options: { flush_access_log_on_connected: true, access_log_flush_interval: 0.05s }\n';
  const proxy = await startNodevoy(
    t,
    bootstrap({
      listeners: [tcpListener('in', tcpProxyFilter({ statPrefix: 'in', cluster: 'upstream', extra: options + fileAccessLog(path, '%ACCESS_LOG_TYPE% %BYTES_RECEIVED%\n') }))],
      clusters: [cluster('upstream', [{ port: upstream.port }])],
    }),
  );
  const client = await connectTo(t, await proxy.admin.listenerPort('in'));
  const entries = () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(0, -1) : []);
  // While the client is silent: the connect entry and periodic ones after it.
  const open = await waitFor(() => {
    const lines = entries();
    const connectedAt = lines.indexOf('TcpUpstreamConnected 0');
    return connectedAt >= 0 && lines.slice(connectedAt + 1).includes('TcpPeriodic 0') ? lines : undefined;
  });
  t.equal(open.filter((l) => l.startsWith('TcpUpstreamConnected')).length, 1, 'one entry when the upstream connected');
  const received = collect(client);
  client.end('bye');
  await received;
  await proxy.stop();
  const all = entries();
  t.equal(all.at(-1), 'TcpConnectionEnd 3', 'the last entry is the end, with every byte');
  t.equal(all.filter((l) => l.startsWith('TcpConnectionEnd')).length, 1, 'written once');
  t.ok(
    all.every((l) => /^(TcpUpstreamConnected 0|TcpPeriodic [03]|TcpConnectionEnd 3)$/.test(l)),
    'nothing else, and bytes counted as they came',
  );
});

t.test('a connection no filter chain takes: the listener logs NR and filter_chain_not_found', async (t) => {
  const upstream = await startEchoServer(t);
  const path = join(t.testdir(), 'listener.log');
  const chain = tcpProxyFilter({ statPrefix: 'in', cluster: 'upstream' }).replace('    - filters:', '    - filter_chain_match: { destination_port: 1 }\n      filters:');
  const proxy = await startNodevoy(
    t,
    bootstrap({
      listeners: [tcpListener('in', chain, fileAccessLog(path, '%ACCESS_LOG_TYPE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %BYTES_RECEIVED% %UPSTREAM_CLUSTER%\n', 4))],
      clusters: [cluster('upstream', [{ port: upstream.port }])],
    }),
  );
  const port = await proxy.admin.listenerPort('in');
  const client = await connectTo(t, port);
  const end = await collect(client);
  t.equal(end.data.length, 0, 'closed at once');
  t.same(await waitForLines(path, 1), ['NotSet NR filter_chain_not_found 0 -']);
  t.equal(await proxy.admin.stat('listener.127.0.0.1_0.no_filter_chain_match'), 1, 'named by the configured address, as Envoy');
});

t.test('access_log_options beside the deprecated fields is a config error naming the field', async (t) => {
  const config = (extra: string) =>
    writeConfig(
      t,
      bootstrap({
        listeners: [tcpListener('in', tcpProxyFilter({ statPrefix: 'in', cluster: 'upstream', extra }))],
        clusters: [cluster('upstream', [{ port: 1 }])],
      }),
    );
  const both = await runNodevoy(['--mode', 'validate', '-c', config('          flush_access_log_on_connected: true\n          access_log_options: { flush_access_log_on_connected: true }\n')]);
  t.not(both.code, 0);
  t.match(both.stderr, /static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.access_log_options: Only one of flush_access_log_on_connected or access_log_options can be specified\./);
  const tooShort = await runNodevoy(['--mode', 'validate', '-c', config('          access_log_options: { access_log_flush_interval: 0s }\n')]);
  t.not(tooShort.code, 0);
  t.match(tooShort.stderr, /typed_config\.access_log_options\.access_log_flush_interval: /);
  const deprecated = await runNodevoy(['--mode', 'validate', '-c', config('          flush_access_log_on_connected: true\n          access_log_flush_interval: 1s\n')]);
  t.equal(deprecated.code, 0, `the deprecated fields alone are accepted: ${deprecated.stderr}`);
});
