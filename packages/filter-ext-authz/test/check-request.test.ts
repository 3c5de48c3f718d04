// The CheckRequest on the wire, read back with Envoy's own messages: dynamic metadata of every
// JSON kind survives as a google.protobuf.Struct, the body as text or bytes.
import t from 'tap';
import { loadEnvoyProtos } from '@nodevoy/config-mux-grpc';
import { HeaderMap } from '@nodevoy/http';
import { socketAddress } from '@nodevoy/core';
import { encodeCheckRequest } from '../src/auth-messages.js';
import { connectionAttributes, httpRequestAttributes } from '../src/check-request.js';

const CheckRequest = loadEnvoyProtos(() => ['envoy/service/auth/v3/external_auth.proto']).lookupType('envoy.service.auth.v3.CheckRequest');

const headers = HeaderMap.from([
  [':method', 'POST'],
  [':path', '/pay'],
  [':authority', 'shop.test'],
  [':scheme', 'https'],
  ['content-length', '3'],
]);
const attributes = (packAsBytes: boolean) => ({
  ...connectionAttributes({ remoteAddress: socketAddress('10.0.0.7', 5555), localAddress: socketAddress('10.0.0.1', 443), ssl: undefined, includePeerCertificate: false, includeTlsSession: false }),
  request: httpRequestAttributes({ headers, streamId: 9, protocol: 'HTTP/2', startTimeMs: 1_700_000_000_123, sendsHeader: () => true, body: { bytes: Buffer.from('abc'), partial: false, packAsBytes } }),
  context_extensions: { k: 'v' },
  metadata_context: { filter_metadata: { 'acme.auth': { user: 'bob', level: 3, admin: false, roles: ['a', 'b'], extra: { nested: null } } } },
});

t.test('metadata of every JSON kind, addresses, time and the body as text', async (t) => {
  const decoded = CheckRequest.toObject(CheckRequest.decode(encodeCheckRequest(attributes(false))), { longs: Number }) as Record<string, any>;
  const a = decoded.attributes;
  t.same(a.source.address.socket_address, { address: '10.0.0.7', port_value: 5555 });
  t.same(a.request.time, { seconds: 1_700_000_000, nanos: 123_000_000 });
  t.equal(a.request.http.body, 'abc');
  t.equal(a.request.http.headers['x-envoy-auth-partial-body'], 'false');
  t.equal(a.request.http.size, 3);
  t.equal(a.request.http.id, '9');
  const fields = a.metadata_context.filter_metadata['acme.auth'].fields;
  t.same(fields.user, { stringValue: 'bob' });
  t.same(fields.level, { numberValue: 3 });
  t.same(fields.admin, { boolValue: false });
  t.same(fields.roles.listValue.values, [{ stringValue: 'a' }, { stringValue: 'b' }]);
  t.same(fields.extra.structValue.fields.nested, { nullValue: 0 });
});

t.test('pack_as_bytes: the body as raw_body', async (t) => {
  const decoded = CheckRequest.toObject(CheckRequest.decode(encodeCheckRequest(attributes(true)))) as Record<string, any>;
  t.same(Buffer.from(decoded.attributes.request.http.raw_body), Buffer.from('abc'));
  t.notOk(decoded.attributes.request.http.body);
});
