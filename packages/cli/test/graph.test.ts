// `nodevoy --mode validate --graph`: the listener -> cluster -> internal listener chain drawn as
// text, Mermaid or DOT; a dangling server_listener_name flagged; a cycle of internal hops refused.
import t from 'tap';
import { bootstrap, cluster, internalListener, runNodevoy, tcpListener, tcpProxyFilter, writeConfig } from '@nodevoy/test-kit';
import { DEFAULT_CONFIG } from '../../../test-support/paths.js';

/** outbound (TCP) -> to_a -> internal a -> to_b -> internal b -> `bTarget` cluster. */
function chain(bTarget: string, extraClusters: readonly string[] = []): string {
  return bootstrap({
    listeners: [
      tcpListener('outbound', tcpProxyFilter({ statPrefix: 'outbound', cluster: 'to_a' })),
      internalListener('a', tcpProxyFilter({ statPrefix: 'a', cluster: 'to_b' })),
      internalListener('b', tcpProxyFilter({ statPrefix: 'b', cluster: bTarget })),
    ],
    clusters: [cluster('to_a', [{ internal: 'a' }]), cluster('to_b', [{ internal: 'b' }]), ...extraClusters],
  });
}

const ORIGIN = cluster('origin', [{ port: 8080 }]);

t.test('text: every hop of the bundled default config, from each TCP listener to the last internal listener', async (t) => {
  const result = await runNodevoy(['-c', DEFAULT_CONFIG, '--mode', 'validate', '--graph']);
  t.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  t.same(lines.slice(lines.indexOf("listener 'http' 127.0.0.1:10000"), lines.indexOf("listener 'http' 127.0.0.1:10000") + 14), [
    "listener 'http' 127.0.0.1:10000",
    '  envoy.filters.network.http_connection_manager',
    "    route * prefix / -> cluster 'encap_cluster'",
    '      envoy://encap/ ->',
    "        internal listener 'encap' envoy://encap",
    '          envoy.filters.network.tcp_proxy',
    "            CONNECT tunnel to decap.internal:443 -> cluster 'terminate_cluster'",
    '              envoy://terminate/ ->',
    "                internal listener 'terminate' envoy://terminate",
    '                  envoy.filters.network.http_connection_manager',
    "                    route * CONNECT -> cluster 'decap_cluster'",
    '                      envoy://decap/ ->',
    "                        internal listener 'decap' envoy://decap",
    '                          envoy.filters.network.http_connection_manager',
  ]);
  t.match(result.stdout, /configuration '.*default\.yaml' OK\n$/);
});

t.test('mermaid and dot: one node per listener and cluster, one edge per hop', async (t) => {
  const path = writeConfig(t, chain('origin', [ORIGIN]));
  const mermaid = await runNodevoy(['-c', path, '--mode', 'validate', '--graph', 'mermaid']);
  t.equal(mermaid.code, 0, mermaid.stderr);
  t.match(mermaid.stdout, /^flowchart LR\n/);
  for (const line of [
    '  L0["listener outbound<br/>127.0.0.1:0"]',
    '  L1(["internal listener a<br/>envoy://a"])',
    '  C0[("cluster to_a<br/>STATIC")]',
    '  L0 -->|"tcp_proxy"| C0',
    '  C0 -->|"envoy://a/"| L1',
    '  L1 -->|"tcp_proxy"| C1',
    '  C1 -->|"envoy://b/"| L2',
    '  L2 -->|"tcp_proxy"| C2',
    '  E2_0>"127.0.0.1:8080"]',
    '  C2 --> E2_0',
  ]) {
    t.ok(mermaid.stdout.split('\n').includes(line), `mermaid has ${line}`);
  }

  const dot = await runNodevoy(['-c', path, '--mode', 'validate', '--graph', 'dot']);
  t.equal(dot.code, 0, dot.stderr);
  t.match(dot.stdout, /^digraph nodevoy \{\n  rankdir=LR;\n/);
  t.ok(dot.stdout.includes('  L0 -> "C0" [label="tcp_proxy"];'));
  t.ok(dot.stdout.includes('  C1 -> "L2" [label="envoy://b/"];'));
  t.match(dot.stdout, /\}\nconfiguration '.*' OK\n$/);
});

t.test('a server_listener_name that names no listener is flagged, in the graph and as a warning', async (t) => {
  const path = writeConfig(t, chain('to_nowhere', [cluster('to_nowhere', [{ internal: 'nowhere' }])]));
  const result = await runNodevoy(['-c', path, '--mode', 'validate', '--graph']);
  t.equal(result.code, 0, 'Envoy accepts it too: the connection fails at run time');
  t.match(result.stdout, "envoy://nowhere/ -> DANGLING: no internal listener named 'nowhere'");
  t.match(result.stderr, "cluster 'to_nowhere' has an endpoint for internal listener 'nowhere', which no listener declares");
  const mermaid = await runNodevoy(['-c', path, '--mode', 'validate', '--graph', 'mermaid']);
  t.match(mermaid.stdout, '{{"no internal listener nowhere"}}:::dangling');
});

t.test('a cycle of internal hops is a config error naming the listener and the loop, in every mode', async (t) => {
  // b sends back to a: a -> to_b -> b -> to_a -> a.
  const path = writeConfig(t, chain('to_a'));
  for (const mode of ['validate', 'serve']) {
    const result = await runNodevoy(['-c', path, '--mode', mode]);
    t.equal(result.code, 1, `${mode}: exits 1`);
    t.match(
      result.stderr,
      "static_resources.listeners[1]: internal listeners form a cycle: internal listener 'a' -> cluster 'to_b' -> internal listener 'b' -> cluster 'to_a' -> internal listener 'a'; a connection would loop inside the process",
      mode,
    );
  }
});

t.test('a listener that sends to itself is the shortest cycle', async (t) => {
  const yaml = bootstrap({
    listeners: [internalListener('self', tcpProxyFilter({ statPrefix: 'self', cluster: 'to_self' }))],
    clusters: [cluster('to_self', [{ internal: 'self' }])],
  });
  const result = await runNodevoy(['-c', writeConfig(t, yaml), '--mode', 'validate']);
  t.equal(result.code, 1);
  t.match(result.stderr, "internal listeners form a cycle: internal listener 'self' -> cluster 'to_self' -> internal listener 'self'");
});

t.test('--graph belongs to --mode validate', async (t) => {
  const result = await runNodevoy(['-c', DEFAULT_CONFIG, '--graph']);
  t.equal(result.code, 1);
  t.match(result.stderr, '--graph works with --mode validate');
});
