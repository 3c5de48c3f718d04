// envoy.filters.http.grpc_stats with a real gRPC client and server (@grpc/grpc-js) through the
// connection manager: statuses, success and failure, and messages each way (a client stream of
// three), per method for all methods or an allowlist, else under the cluster's plain grpc.*.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, configProblems, HTTP2_UPSTREAM, httpConnectionManager, startInProcess, tcpListener, type TestLike } from '@nodevoy/test-kit';

const identity = (bytes: Buffer) => bytes;
const method = (path: string, requestStream: boolean) => ({ path, requestStream, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity });

/** A gRPC server: Say answers `echo:<message>`, Collect counts a client stream, Fail is NOT_FOUND. */
async function grpcUpstream(t: TestLike): Promise<number> {
  const server = new grpc.Server();
  server.addService(
    { Say: method('/test.Echo/Say', false), Collect: method('/test.Echo/Collect', true), Fail: method('/test.Echo/Fail', false) },
    {
      Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.concat([Buffer.from('echo:'), call.request])),
      Collect: (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        let count = 0;
        call.on('data', () => count++);
        call.on('end', () => callback(null, Buffer.from(String(count))));
      },
      Fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  t.teardown(() => server.forceShutdown());
  return port;
}

async function setup(t: TestLike, filterConfig: string) {
  const upstream = await grpcUpstream(t);
  const httpFilters = `          - name: envoy.filters.http.grpc_stats
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig
${filterConfig}`;
    const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:\n  listeners:\n${tcpListener('grpc', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: echo } }\n'), httpFilters }))}  clusters:\n${cluster('echo', [{ port: upstream }], HTTP2_UPSTREAM)}`,
  );
  const client = new grpc.Client(`127.0.0.1:${proxy.port('grpc')}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const unary = (path: string) => new Promise<grpc.ServiceError | null>((resolve) => client.makeUnaryRequest(path, identity, identity, Buffer.from('hi'), (err) => resolve(err)));
  const collect = (messages: number) =>
    new Promise<string>((resolve, reject) => {
      const call = client.makeClientStreamRequest('/test.Echo/Collect', identity, identity, (err, reply) => (err ? reject(err) : resolve(String(reply))));
      for (let i = 0; i < messages; i++) call.write(Buffer.from(`m${i}`));
      call.end();
    });
  return { proxy, unary, collect };
}

t.test('stats_for_all_methods: each method counted on its own, messages each way', async (t) => {
  const { proxy, unary, collect } = await setup(t, '              stats_for_all_methods: true\n');
  t.equal(await unary('/test.Echo/Say'), null);
  t.equal(await collect(3), '3');
  t.equal((await unary('/test.Echo/Fail'))?.code, grpc.status.NOT_FOUND);
  const stat = (name: string) => proxy.stat(`cluster.echo.grpc.test.Echo.${name}`);
  t.same([stat('Say.success'), stat('Say.0'), stat('Say.total'), stat('Say.request_message_count'), stat('Say.response_message_count')], [1, 1, 1, 1, 1]);
  t.same([stat('Collect.success'), stat('Collect.request_message_count'), stat('Collect.response_message_count')], [1, 3, 1]);
  t.same([stat('Fail.failure'), stat('Fail.5'), stat('Fail.total'), stat('Fail.success')], [1, 1, 1, 0]);
  t.equal(proxy.stat('cluster.echo.grpc.total'), 0, 'nothing under the plain prefix');
});

t.test('an allowlist: its methods per method, the others under the plain prefix; dots replaced', async (t) => {
  const { proxy, unary } = await setup(
    t,
    '              individual_method_stats_allowlist: { services: [{ name: test.Echo, method_names: [Say] }] }\n              replace_dots_in_grpc_service_name: true\n',
  );
  await unary('/test.Echo/Say');
  await unary('/test.Echo/Fail');
  t.equal(proxy.stat('cluster.echo.grpc.test_Echo.Say.success'), 1);
  t.equal(proxy.stat('cluster.echo.grpc.failure'), 1);
  t.equal(proxy.stat('cluster.echo.grpc.5'), 1);
  t.equal(proxy.stat('cluster.echo.grpc.test_Echo.Fail.failure'), 0);
});

t.test('by default, every call under the cluster\'s plain grpc.* stats; non-gRPC requests are not counted', async (t) => {
  const { proxy, unary } = await setup(t, '');
  await unary('/test.Echo/Say');
  await unary('/test.Echo/Fail');
  t.same([proxy.stat('cluster.echo.grpc.success'), proxy.stat('cluster.echo.grpc.failure'), proxy.stat('cluster.echo.grpc.total'), proxy.stat('cluster.echo.grpc.request_message_count')], [1, 1, 2, 2]);
});

t.test('config errors name the field', async (t) => {
  const yaml = (config: string) => `static_resources:\n  listeners:\n${tcpListener('grpc', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200 } }\n'), httpFilters: `          - name: envoy.filters.http.grpc_stats\n            typed_config:\n              "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig\n${config}` }))}`;
  t.match(configProblems(yaml('              enable_upstream_stats: true\n')), /enable_upstream_stats.*not implemented by nodevoy yet/);
  t.match(configProblems(yaml('              stats_for_all_methods: true\n              individual_method_stats_allowlist: { services: [] }\n')), /stats_for_all_methods|individual_method_stats_allowlist/);
});
