// gRPC health checks (envoy.health_checkers.grpc) against a real gRPC server (@grpc/grpc-js)
// implementing grpc.health.v1: SERVING passes, NOT_SERVING and an unknown service fail, the
// service name and authority are the configured ones; a host that starts serving comes back.
import { createRequire } from 'node:module';
import t from 'tap';
import { httpProxyBootstrap, startInProcess, type TestLike } from '@nodevoy/test-kit';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
const protobuf = require('protobufjs') as typeof import('protobufjs');

const root = protobuf.parse(`syntax = "proto3"; package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse { enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; } ServingStatus status = 1; }`).root;
const Request = root.lookupType('grpc.health.v1.HealthCheckRequest');
const Response = root.lookupType('grpc.health.v1.HealthCheckResponse');

interface Seen {
  service: string;
  authority: string | undefined;
  tenant: string | undefined;
}

/** A grpc-js server whose Health/Check answers from `statuses` (a missing service: NOT_FOUND). */
async function healthServer(t: TestLike, statuses: Map<string, number>, seen: Seen[]): Promise<number> {
  const server = new grpc.Server();
  server.addService(
    {
      Check: {
        path: '/grpc.health.v1.Health/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: object) => Buffer.from(Request.encode(m).finish()),
        requestDeserialize: (b: Buffer) => Request.decode(b) as unknown as { service: string },
        responseSerialize: (m: object) => Buffer.from(Response.encode(m).finish()),
        responseDeserialize: (b: Buffer) => Response.decode(b),
      },
    },
    {
      Check: (call: import('@grpc/grpc-js').ServerUnaryCall<{ service: string }, object>, callback: import('@grpc/grpc-js').sendUnaryData<object>) => {
        seen.push({ service: call.request.service, authority: call.getHost(), tenant: call.metadata.get('x-tenant')[0] as string | undefined });
        const status = statuses.get(call.request.service);
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service', name: 'NotFound', message: 'unknown service' });
        else callback(null, { status });
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  t.teardown(() => server.forceShutdown());
  return port;
}

const check = (grpcCheck: string) => `    health_checks:
    - { timeout: 1s, interval: 0.05s, no_traffic_interval: 0.05s, unhealthy_threshold: 1, healthy_threshold: 1, grpc_health_check: { ${grpcCheck} } }
`;

t.test('SERVING passes; NOT_SERVING and an unknown service fail; a host that starts serving comes back', async (t) => {
  const seen: Seen[] = [];
  const servingStatuses = new Map([['payments', 1]]);
  const notServing = new Map([['payments', 2]]);
  const unknown = new Map<string, number>();
  const ports = [await healthServer(t, servingStatuses, seen), await healthServer(t, notServing, []), await healthServer(t, unknown, [])];
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap(
      ports.map((port) => ({ port })),
      { clusterExtra: check('service_name: payments, authority: health.internal, initial_metadata: [{ header: { key: x-tenant, value: acme } }]') },
    ),
  );
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1, 'only the SERVING host is healthy');
  t.equal(proxy.stat('cluster.backend.health_check.network_failure'), 0, 'the others answered: active failures');
  t.match(seen[0], { service: 'payments', authority: 'health.internal', tenant: 'acme' });
  notServing.set('payments', 1);
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 2);
  t.pass('the host that started serving is back');
});

t.test('a host that is not a gRPC server fails the check', async (t) => {
  const { startHttpUpstream } = await import('@nodevoy/test-kit');
  const plain = await startHttpUpstream(t);
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: plain.port }], { clusterExtra: check('') }));
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 0);
});
