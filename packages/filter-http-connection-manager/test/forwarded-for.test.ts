// Who sent a request, as Envoy's connection manager decides it: x-forwarded-for with trusted
// hops, the peer appended, internal or edge (internal_address_config), and the x-envoy-* headers
// that follow from it.
import t from 'tap';
import { httpProxyBootstrap, httpRequest, startHttpUpstream, startInProcess, type TestLike } from '@nodevoy/test-kit';
import { NODE_ADDRESS } from '../src/forwarded-for.js';

async function proxyWith(t: TestLike, hcmExtra: string) {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: upstream.port }], { hcmExtra }));
  return async (headers: Record<string, string>) => {
    await httpRequest(proxy.port('http'), { headers });
    return upstream.requests.at(-1)?.headers ?? {};
  };
}

const CLIENT_SET = { 'x-envoy-ip-tags': 'trusted', 'x-envoy-max-retries': '9', 'x-envoy-downstream-service-cluster': 'spoofed', 'x-envoy-internal': 'true', 'x-request-id': 'client-chosen' };

t.test('an edge request: the peer appended, x-envoy-external-address, the client’s x-envoy-* and request id not trusted', async (t) => {
  const send = await proxyWith(t, '          use_remote_address: true\n');
  const seen = await send(CLIENT_SET);
  t.equal(seen['x-forwarded-for'], NODE_ADDRESS, 'a loopback peer is written as the node’s address');
  t.equal(seen['x-envoy-external-address'], '127.0.0.1');
  t.equal(seen['x-envoy-internal'], undefined);
  t.equal(seen['x-envoy-ip-tags'], undefined);
  t.equal(seen['x-envoy-max-retries'], undefined);
  t.equal(seen['x-envoy-downstream-service-cluster'], undefined);
  t.not(seen['x-request-id'], 'client-chosen', 'an edge request gets a request id of its own');
  t.equal(seen['x-forwarded-proto'], 'http');
});

t.test('internal_address_config: a client inside the ranges is internal (x-envoy-internal), its headers kept', async (t) => {
  const send = await proxyWith(t, '          use_remote_address: true\n          internal_address_config: { cidr_ranges: [{ address_prefix: 127.0.0.0, prefix_len: 8 }] }\n');
  const seen = await send(CLIENT_SET);
  t.equal(seen['x-envoy-internal'], 'true');
  t.equal(seen['x-envoy-external-address'], undefined);
  t.equal(seen['x-envoy-ip-tags'], 'trusted', 'an internal caller’s x-envoy-* headers are kept');
  t.equal(seen['x-request-id'], 'client-chosen');
  const behindProxy = await send({ ...CLIENT_SET, 'x-forwarded-for': '127.0.0.9' });
  t.equal(behindProxy['x-envoy-internal'], undefined, 'with x-forwarded-for present the peer alone cannot make a request internal');
  t.equal(behindProxy['x-envoy-ip-tags'], undefined);
});

t.test('trusted hops keep the proxy’s x-forwarded-proto; without use_remote_address nothing is appended', async (t) => {
  const trusting = await proxyWith(t, '          use_remote_address: true\n          xff_num_trusted_hops: 1\n');
  const seen = await trusting({ 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https' });
  t.equal(seen['x-forwarded-for'], `203.0.113.5,${NODE_ADDRESS}`);
  t.equal(seen['x-forwarded-proto'], 'https', 'set by a trusted proxy');
  t.equal(seen['x-envoy-external-address'], '203.0.113.5');
  const untrusting = await proxyWith(t, '          use_remote_address: true\n');
  t.equal((await untrusting({ 'x-forwarded-proto': 'https' }))['x-forwarded-proto'], 'http', 'from an untrusted peer it is overwritten');
  const passive = await proxyWith(t, '');
  const passed = await passive({ 'x-forwarded-for': '203.0.113.5', 'x-envoy-ip-tags': 'trusted' });
  t.equal(passed['x-forwarded-for'], '203.0.113.5', 'not appended without use_remote_address');
  t.equal(passed['x-envoy-ip-tags'], undefined, 'a request that is not internal never keeps these');
});
