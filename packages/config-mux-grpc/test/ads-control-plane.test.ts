// nodevoy driven by a real management server: go-control-plane (test-support/xds-control-plane)
// serves snapshots over ADS, state of the world and delta, and the per-type services; nodevoy
// takes clusters (CDS), their endpoints (EDS) and listeners (LDS) from it, ACKs what it applies,
// NACKs what it cannot with its reason while the last good config keeps serving, moves traffic on
// updates without breaking established connections, and resyncs after the control plane restarts.
import t from 'tap';
import type { Socket } from 'node:net';
import { askOnce, freePort, connectTo, readBytes, startInProcess, startTaggedEchoServer, type InProcessNodevoy, type TestLike } from '@nodevoy/test-kit';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane, type RequestFact } from '../../../test-support/xds-control-plane.js';
import { edsCluster, loadAssignment as assignment, tcpProxyListener, xdsBootstrap, type XdsApiType } from '../../../test-support/xds-resources.js';

const NODE = 'test-node';
const TYPE = 'type.googleapis.com/envoy.config.';
const unavailable = controlPlaneUnavailable();

const taggedUpstream = async (t: TestLike, tag: string) => (await startTaggedEchoServer(t, tag)).port;

/** Sends `text` on `socket` and reads the tagged reply. */
async function roundTrip(socket: Socket, text: string): Promise<string> {
  const reply = readBytes(socket, text.length + 2);
  socket.write(text);
  return (await reply).toString();
}

/** The tagged reply to `text` on a new connection, or how it failed. */
const exchange = (t: TestLike, port: number, text: string) => askOnce(t, port, text, text.length + 2);

interface World {
  readonly controlPlane: ControlPlane;
  readonly proxy: InProcessNodevoy;
  readonly listenerPort: number;
  readonly upstreamA: number;
  readonly upstreamB: number;
}

/** A control plane with snapshot v1 (listener -> EDS cluster `backend` -> upstream A) and nodevoy on it. */
async function makeWorld(t: TestLike, sources: 'ads' | 'grpc', apiType: XdsApiType): Promise<World> {
  const controlPlane = await startControlPlane(t);
  const [upstreamA, upstreamB, listenerPort] = [await taggedUpstream(t, 'A:'), await taggedUpstream(t, 'B:'), await freePort()];
  await controlPlane.setSnapshot(NODE, 'v1', [edsCluster('backend', sources), assignment('backend', upstreamA), tcpProxyListener('tcp', listenerPort, 'backend')]);
  const proxy = await startInProcess(t, xdsBootstrap(controlPlane.grpcPort, NODE, { apiType, sources }));
  return { controlPlane, proxy, listenerPort, upstreamA, upstreamB };
}

for (const apiType of ['GRPC', 'DELTA_GRPC'] as const) {
  const delta = apiType === 'DELTA_GRPC';
  /** An ACK: of that version (delta requests carry none, only the nonce they answer). */
  const acked = (typeUrl: string, version: string) => (r: RequestFact) =>
    r.type_url === typeUrl && (delta || r.version_info === version) && r.response_nonce !== '' && !r.error_detail;
  const world = (t: TestLike) => makeWorld(t, 'ads', apiType);

  t.test(`ADS ${delta ? 'delta' : 'state of the world'} against go-control-plane`, { skip: unavailable ?? false }, async (t) => {
    t.test('the first snapshot serves once the server is up, and every type is ACKed', async (t) => {
      const { controlPlane, proxy, listenerPort } = await world(t);
      t.equal(await exchange(t, listenerPort, 'hello'), 'A:hello', 'listener (LDS) -> cluster (CDS) -> endpoint (EDS)');
      for (const type of ['cluster.v3.Cluster', 'endpoint.v3.ClusterLoadAssignment', 'listener.v3.Listener']) {
        await controlPlane.waitForRequest(acked(TYPE + type, 'v1'), `an ACK of ${type} v1`);
      }
      const first = (await controlPlane.requests())[0];
      t.equal(first?.node_id, NODE, 'the node identifies itself');
      t.equal(first?.user_agent_name, 'envoy', 'with the user agent control planes expect');
      t.same(
        (await controlPlane.requests()).find((r) => r.type_url === `${TYPE}endpoint.v3.ClusterLoadAssignment`)?.resource_names,
        ['backend'],
        'endpoints are asked for by cluster name',
      );
      t.equal(proxy.stat('control_plane.connected_state'), 1);
      t.equal(proxy.stat('cluster_manager.cds.update_success'), 1);
      t.equal(proxy.stat('listener_manager.lds.update_success'), 1);
      t.equal(proxy.stat('cluster.backend.update_success'), 1, 'EDS counts on the cluster, as Envoy');
      t.equal(proxy.stat('listener_manager.lds.update_attempt'), 2, 'the start and the update, as Envoy counts them');
      t.equal(proxy.stat('cluster_manager.active_clusters'), 2, 'xds_cluster and backend');

      const [, clusters, listeners] = proxy.server.configDump()['configs'] as Record<string, any>[];
      if (!delta) t.equal(listeners?.['version_info'], 'v1', '/config_dump: the LDS version');
      t.equal(listeners?.['dynamic_listeners']?.[0]?.name, 'tcp');
      t.match(listeners?.['dynamic_listeners']?.[0]?.active_state?.version_info, delta ? /^.+$/ : 'v1', "the listener's version (delta: its own)");
      t.equal(listeners?.['dynamic_listeners']?.[0]?.active_state?.listener?.['@type'], `${TYPE}listener.v3.Listener`, 'the listener as the control plane sent it');
      if (!delta) t.equal(clusters?.['version_info'], 'v1', '/config_dump: the CDS version');
      t.same(
        clusters?.['dynamic_active_clusters']?.map((c: Record<string, any>) => c['cluster']?.name),
        ['backend'],
      );
      t.same(clusters?.['static_clusters']?.map((c: Record<string, any>) => c['cluster']?.name), ['xds_cluster']);
    });

    t.test('an invalid listener is NACKed with the reason, and the last good config keeps serving', async (t) => {
      const { controlPlane, proxy, listenerPort, upstreamA } = await world(t);
      await controlPlane.waitForRequest(acked(`${TYPE}listener.v3.Listener`, 'v1'), 'the ACK of v1');
      await controlPlane.setSnapshot(NODE, 'v2', [edsCluster('backend'), assignment('backend', upstreamA), tcpProxyListener('tcp', listenerPort, 'backend', '')]);
      const nack = await controlPlane.waitForRequest((r) => r.type_url === `${TYPE}listener.v3.Listener` && r.error_detail !== undefined, 'a NACK');
      if (!delta) t.equal(nack.version_info, 'v1', 'the NACK names the version still applied');
      t.equal(nack.error_detail, "Error adding/updating listener(s) tcp: filter_chains[0].filters[0].typed_config: missing required field 'stat_prefix' in TcpProxy");
      t.ok(proxy.stat('listener_manager.lds.update_rejected') >= 1);
      t.equal(proxy.stat('listener_manager.lds.update_success'), 1);
      t.equal(await exchange(t, listenerPort, 'still'), 'A:still', 'v1 still serves');
    });

    t.test('a changed listener drains its open connections while new ones take the new config; a removed one refuses', async (t) => {
      const { controlPlane, proxy, listenerPort, upstreamA, upstreamB } = await world(t);
      const open = await connectTo(t, listenerPort);
      t.equal(await roundTrip(open, 'one'), 'A:one');
      await controlPlane.setSnapshot(NODE, 'v2', [
        edsCluster('backend'),
        assignment('backend', upstreamA),
        edsCluster('backend_b'),
        assignment('backend_b', upstreamB),
        tcpProxyListener('tcp', listenerPort, 'backend_b'),
      ]);
      await proxy.waitForStat('listener_manager.listener_modified', (n) => n === 1);
      // The new listener may serve before backend_b has its endpoints (as Envoy's): wait for them too.
      await proxy.waitForStat('cluster.backend_b.membership_total', (n) => n === 1);
      t.equal(proxy.stat('listener_manager.total_listeners_draining'), 1, 'the old listener drains');
      t.equal(await exchange(t, listenerPort, 'two'), 'B:two', 'a new connection takes the new listener');
      t.equal(await roundTrip(open, 'three'), 'A:three', 'the open connection keeps its config and keeps flowing');

      await controlPlane.setSnapshot(NODE, 'v3', [edsCluster('backend'), assignment('backend', upstreamA)]);
      await proxy.waitForStat('listener_manager.listener_removed', (n) => n === 1);
      await t.rejects(connectTo(t, listenerPort), { code: 'ECONNREFUSED' }, 'the removed listener no longer accepts');
      t.equal(await roundTrip(open, 'four'), 'A:four', 'the connection opened before both changes still flows');
      t.equal(proxy.stat('cluster_manager.cluster_removed'), 1, 'backend_b went with v3');
      open.end();
      await proxy.waitForStat('listener_manager.total_listeners_draining', (n) => n === 0);
      t.pass('both replaced listeners finished draining once their last connection closed');
    });

    t.test('EDS moves the endpoints under load without a failed exchange', async (t) => {
      const { controlPlane, proxy, listenerPort, upstreamB } = await world(t);
      const replies: string[] = [];
      const load = (async () => {
        // Exchanges back to back until two have gone to the new endpoint.
        while (replies.filter((r) => r.startsWith('B:')).length < 2) replies.push(await exchange(t, listenerPort, `n${replies.length}`));
      })();
      await controlPlane.setSnapshot(NODE, 'v2', [edsCluster('backend'), assignment('backend', upstreamB), tcpProxyListener('tcp', listenerPort, 'backend')]);
      await load;
      t.ok(
        replies.every((reply, i) => reply === `A:n${i}` || reply === `B:n${i}`),
        'every exchange was answered, by the old endpoint or the new one',
      );
      t.equal(proxy.stat('cluster.backend.update_success'), 2);
      t.equal(proxy.stat('listener_manager.listener_modified'), 0, 'the unchanged listener was left alone');
      t.equal(proxy.stat('cluster_manager.cluster_modified'), 0, 'and so was the unchanged cluster');
    });

    t.test('the control plane restarts: nodevoy keeps serving, reconnects and resyncs from the version it has', async (t) => {
      const { controlPlane, proxy, listenerPort, upstreamB } = await world(t);
      await controlPlane.waitForRequest(acked(`${TYPE}listener.v3.Listener`, 'v1'), 'the ACK of v1');
      await controlPlane.kill();
      await proxy.waitForStat('control_plane.connected_state', (n) => n === 0);
      t.equal(await exchange(t, listenerPort, 'alone'), 'A:alone', 'the last config serves without the control plane');
      const restarted = await startControlPlane(t, controlPlane.grpcPort);
      const resync = await restarted.waitForRequest((r) => r.type_url === `${TYPE}cluster.v3.Cluster`, 'the first request on the new stream');
      if (delta) t.same(Object.keys(resync.initial_resource_versions ?? {}), ['backend'], 'the new stream says which clusters nodevoy has');
      else t.equal(resync.version_info, 'v1', 'the new stream says which version nodevoy has');
      t.equal(resync.response_nonce, '', 'with no nonce: nothing was sent on this stream yet');
      await restarted.setSnapshot(NODE, 'v2', [edsCluster('backend'), assignment('backend', upstreamB), tcpProxyListener('tcp', listenerPort, 'backend')]);
      await proxy.waitForStat('cluster.backend.update_success', (n) => n === 2);
      t.equal(await exchange(t, listenerPort, 'back'), 'B:back', 'the restarted control plane configures it again');
      t.equal(proxy.stat('control_plane.connected_state'), 1);
      t.ok(proxy.stat('cluster_manager.cds.update_failure') >= 1, 'the lost stream counted as a failed update');
    });
  });

}

t.test('one stream per resource type (api_config_source, GRPC) against go-control-plane', { skip: unavailable ?? false }, async (t) => {
  const { controlPlane, proxy, listenerPort } = await makeWorld(t, 'grpc', 'GRPC');
  t.equal(await exchange(t, listenerPort, 'typed'), 'A:typed');
  const requests = await controlPlane.requests();
  const streamOf = (type: string) => requests.find((r) => r.type_url === TYPE + type)?.stream;
  const streams = new Set([streamOf('cluster.v3.Cluster'), streamOf('endpoint.v3.ClusterLoadAssignment'), streamOf('listener.v3.Listener')]);
  t.equal(streams.size, 3, 'CDS, EDS and LDS each on a stream of their own');
  t.equal(proxy.stat('listener_manager.lds.update_success'), 1);
});

t.test('a control plane that never answers: the initial fetch times out and the server starts without', { skip: unavailable ?? false }, async (t) => {
  const controlPlane = await startControlPlane(t);
  const proxy = await startInProcess(t, xdsBootstrap(controlPlane.grpcPort, NODE, { sources: 'grpc', sourceExtra: ', initial_fetch_timeout: 0.2s' }));
  t.equal(proxy.server.state, 'LIVE');
  t.equal(proxy.stat('cluster_manager.cds.init_fetch_timeout'), 1);
  t.equal(proxy.stat('listener_manager.lds.init_fetch_timeout'), 1);
  t.equal(proxy.stat('listener_manager.total_listeners_active'), 0);
});

t.test('a static listener may name a cluster that CDS brings (as Envoy accepts it)', { skip: unavailable ?? false }, async (t) => {
  const controlPlane = await startControlPlane(t);
  const upstream = await taggedUpstream(t, 'A:');
  await controlPlane.setSnapshot(NODE, 'v1', [edsCluster('backend'), assignment('backend', upstream)]);
  const listenerPort = await freePort();
  const staticListener = `  listeners:
  - name: static_tcp
    address: { socket_address: { address: 127.0.0.1, port_value: ${listenerPort} } }
    filter_chains: [{ filters: [{ name: tcp, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: s, cluster: backend } }] }]
`;
  await startInProcess(t, `${xdsBootstrap(controlPlane.grpcPort, NODE)}${staticListener}`);
  t.equal(await exchange(t, listenerPort, 'cds'), 'A:cds');
});
