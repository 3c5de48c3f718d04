// original_dst on an internal listener: the destination an outer listener recorded (filter state
// shared with the hop) is restored, and an ORIGINAL_DST cluster connects there. On a TCP listener
// it is a config error: node:net cannot read SO_ORIGINAL_DST.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ADMIN, collect, configProblems, connectTo, startEchoServer, startInProcess, tcpListener } from '@nodevoy/test-kit';

const CONFIG = fileURLToPath(new URL('../../../conformance/scenarios/configs/original-dst.yaml', import.meta.url));

t.test('the destination recorded before the hop is where the inner ORIGINAL_DST cluster connects', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startInProcess(t, readFileSync(CONFIG, 'utf8').replaceAll('${upstream.echo}', String(upstream.port)));
  const client = await connectTo(t, proxy.port('outer'));
  const received = collect(client);
  client.end('to the original destination');
  t.equal((await received).data.toString(), 'to the original destination');
  t.equal(proxy.stat('cluster.original.upstream_cx_total'), 1);
  t.equal(upstream.sockets.length, 1);
});

t.test('on a TCP listener: a config error that says why', async (t) => {
  const yaml = `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'edge',
  `    filter_chains:
    - filters:
      - name: envoy.filters.network.echo
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo }
`,
  `    listener_filters:
    - name: envoy.filters.listener.original_dst
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }
`,
)}`;
  t.match(configProblems(yaml), /static_resources\.listeners\[0\]\.listener_filters\[0\]\.typed_config: envoy\.filters\.listener\.original_dst reads a kernel socket's original destination \(SO_ORIGINAL_DST\), which node:net cannot/);
});
