// Listeners and clusters from files (`path_config_source`, Envoy's filesystem subscription): read
// at start, applied again when the file is replaced, with the same warming, draining and stats as
// from a management server; a bad file changes nothing and is counted.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { askOnce, freePort, scratchDir, startInProcess, startTaggedEchoServer } from '@nodevoy/test-kit';

const cluster = (name: string, port: number) => `
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: ${name}
  type: STATIC
  load_assignment: { cluster_name: ${name}, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }] }`;

const listener = (port: number, cluster: string, statPrefix = 'stat_prefix: tcp, ') => `
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: tcp
  address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
  filter_chains: [{ filters: [{ name: tcp, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, ${statPrefix}cluster: ${cluster} } }] }]`;

/** Replaces a file as configuration tools do: written beside it, then renamed over it. */
function replace(path: string, text: string): void {
  writeFileSync(`${path}.next`, text);
  renameSync(`${path}.next`, path);
}

t.test('LDS and CDS from files', async (t) => {
  const [a, b, port] = [(await startTaggedEchoServer(t, 'A:')).port, (await startTaggedEchoServer(t, 'B:')).port, await freePort()];
  const dir = scratchDir(t, {
    'cds.yaml': `version_info: c1\nresources:${cluster('backend', a)}${cluster('backend_b', b)}\n`,
    'lds.yaml': `version_info: l1\nresources:${listener(port, 'backend')}\n`,
  });
  const [cds, lds] = [join(dir, 'cds.yaml'), join(dir, 'lds.yaml')];
  const proxy = await startInProcess(t, `dynamic_resources:\n  cds_config: { path_config_source: { path: ${cds} } }\n  lds_config: { path_config_source: { path: ${lds} } }\n`);
  t.equal(await askOnce(t, port, 'one', 5), 'A:one', 'the files configure the server before it is up');
  t.equal(proxy.stat('listener_manager.lds.update_success'), 1);
  t.equal(proxy.stat('cluster_manager.cds.update_success'), 1);
  t.equal(proxy.stat('cluster_manager.active_clusters'), 2);

  replace(lds, `version_info: l2\nresources:${listener(port, 'backend_b')}\n`);
  await proxy.waitForStat('listener_manager.listener_modified', (n) => n === 1);
  t.equal(await askOnce(t, port, 'two', 5), 'B:two', 'a replaced file is applied');

  replace(lds, `version_info: l3\nresources:${listener(port, 'backend', '')}\n`);
  await proxy.waitForStat('listener_manager.lds.update_rejected', (n) => n === 1);
  t.equal(await askOnce(t, port, 'three', 7), 'B:three', 'an invalid listener changes nothing');

  replace(lds, 'resources: [ {');
  await proxy.waitForStat('listener_manager.lds.update_failure', (n) => n === 1);
  t.equal(await askOnce(t, port, 'four', 6), 'B:four', 'neither does a file that does not parse');

  replace(cds, `version_info: c2\nresources:${cluster('backend_b', b)}\n`);
  await proxy.waitForStat('cluster_manager.cluster_removed', (n) => n === 1);
  t.equal(proxy.stat('cluster_manager.active_clusters'), 1, 'a cluster left out of the file is removed');

  replace(lds, 'version_info: l4\nresources: []\n');
  await proxy.waitForStat('listener_manager.listener_removed', (n) => n === 1);
  t.equal(await askOnce(t, port, 'five', 6), 'ECONNREFUSED', 'and so is a listener');
});
