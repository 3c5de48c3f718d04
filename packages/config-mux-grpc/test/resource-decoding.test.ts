// What nodevoy makes of the protobuf a management server sends: resources decoded with Envoy's
// own .proto files into the proto3 JSON its YAML schemas read (durations as "1.5s", wrappers
// unwrapped, Struct as JSON, enums by name, each Any by its @type), resources wrapped in
// `Resource`, and the mismatches Envoy refuses.
import t from 'tap';
import { DiscoveryCodec } from '../src/discovery-messages.js';
import { envoyProtoRoot } from '../src/proto-root.js';

const T = 'type.googleapis.com/';
const LISTENER = `${T}envoy.config.listener.v3.Listener`;
const root = envoyProtoRoot();
const codec = new DiscoveryCodec();

/** Encodes `object` (protobufjs object form) as the message `type`. */
function encode(type: string, object: Record<string, unknown>): Uint8Array {
  const messageType = root.lookupType(type);
  return messageType.encode(messageType.fromObject(object)).finish();
}

const tcpProxy = encode('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', { stat_prefix: 'edge', cluster: 'backend', idle_timeout: { seconds: 30, nanos: 500_000_000 } });

const listener = encode('envoy.config.listener.v3.Listener', {
  name: 'edge',
  address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
  per_connection_buffer_limit_bytes: { value: 32768 },
  traffic_direction: 1,
  metadata: { filter_metadata: { team: { fields: { owner: { stringValue: 'web' }, replicas: { numberValue: 3 }, tags: { listValue: { values: [{ boolValue: true }, { nullValue: 0 }] } } } } } },
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { type_url: `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`, value: tcpProxy } }] }],
});

t.test('a listener decodes to the proto3 JSON of its YAML form', async (t) => {
  const resource = codec.decodeResource({ type_url: LISTENER, value: listener }, LISTENER);
  t.equal(resource.name, 'edge', 'named by its name field');
  t.same(resource.body, {
    '@type': LISTENER,
    name: 'edge',
    address: { socket_address: { address: '127.0.0.1', port_value: 10000 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: { '@type': `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`, stat_prefix: 'edge', cluster: 'backend', idle_timeout: '30.5s' },
          },
        ],
      },
    ],
    per_connection_buffer_limit_bytes: 32768,
    metadata: { filter_metadata: { team: { owner: 'web', replicas: 3, tags: [true, null] } } },
    traffic_direction: 'INBOUND',
  });
});

t.test('endpoints are named by cluster_name; 64-bit integers are strings', async (t) => {
  const type = `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`;
  const value = encode('envoy.config.endpoint.v3.ClusterLoadAssignment', {
    cluster_name: 'backend',
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } }] }],
    policy: { overprovisioning_factor: { value: 140 } },
  });
  const resource = codec.decodeResource({ type_url: type, value }, type);
  t.equal(resource.name, 'backend');
  t.same(resource.body['policy'], { overprovisioning_factor: 140 });
  const cluster = `${T}envoy.config.cluster.v3.Cluster`;
  const withLong = codec.decodeResource({ type_url: cluster, value: encode('envoy.config.cluster.v3.Cluster', { name: 'c', ring_hash_lb_config: { maximum_ring_size: { value: 8_388_608 } }, lrs_report_endpoint_metrics: [] }) }, cluster);
  t.same(withLong.body, { '@type': cluster, name: 'c', ring_hash_lb_config: { maximum_ring_size: '8388608' } }, 'UInt64Value as a string; empty repeated fields left out');
});

t.test('a resource wrapped in Resource takes the wrapper name', async (t) => {
  const wrapped = encode('envoy.service.discovery.v3.Resource', { name: 'from-wrapper', version: '7', resource: { type_url: LISTENER, value: listener } });
  const resource = codec.decodeResource({ type_url: `${T}envoy.service.discovery.v3.Resource`, value: wrapped }, LISTENER);
  t.equal(resource.name, 'from-wrapper');
  t.equal(resource.body['name'], 'edge');
});

t.test("a resource of another type than the response's is refused with Envoy's message", async (t) => {
  t.throws(() => codec.decodeResource({ type_url: LISTENER, value: listener }, `${T}envoy.config.cluster.v3.Cluster`), {
    message: `type URL ${LISTENER} embedded in an individual Any does not match the message-wide type URL ${T}envoy.config.cluster.v3.Cluster in DiscoveryResponse`,
  });
});

t.test('an Any of a type Envoy does not define is refused, naming the type', async (t) => {
  const bad = encode('envoy.config.listener.v3.Listener', {
    name: 'odd',
    filter_chains: [{ filters: [{ name: 'x', typed_config: { type_url: `${T}acme.filters.v1.Secret`, value: new Uint8Array() } }] }],
  });
  t.throws(() => codec.decodeResource({ type_url: LISTENER, value: bad }, LISTENER), { message: /unknown message type 'acme\.filters\.v1\.Secret'/ });
});

t.test('a DiscoveryRequest NACK carries the reason with gRPC INTERNAL, and the node as Envoy sends it', async (t) => {
  const bytes = codec.encodeRequest({
    versionInfo: 'v1',
    node: { id: 'n1', cluster: 'c1', metadata: { zone: 'a', nested: { on: true } } },
    resourceNames: ['backend'],
    typeUrl: `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`,
    responseNonce: '4',
    errorDetail: 'bad endpoint',
  });
  const request = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const decoded = request.toObject(request.decode(bytes), { enums: String, longs: String }) as Record<string, any>;
  t.same(decoded['error_detail'], { code: 13, message: 'bad endpoint' });
  t.equal(decoded['version_info'], 'v1');
  t.equal(decoded['response_nonce'], '4');
  t.same(decoded['resource_names'], ['backend']);
  t.equal(decoded['node']['id'], 'n1');
  t.equal(decoded['node']['user_agent_name'], 'envoy');
  t.same(decoded['node']['metadata']['fields']['nested']['structValue']['fields']['on'], { boolValue: true });
});
