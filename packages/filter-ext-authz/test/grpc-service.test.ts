// envoy.filters.http.ext_authz and envoy.filters.network.ext_authz with a real gRPC
// authorization service (@grpc/grpc-js, Envoy's envoy.service.auth.v3 messages): the
// CheckRequest it receives, an OK response's header, query and metadata changes (read as Envoy
// 1.40 reads them), a denial's status, body and headers, a failed call, google_grpc, and a TCP
// connection allowed or closed by the network filter.
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, collect, connectTo, fileAccessLog, HTTP2_UPSTREAM, http2Request, http2Session, httpConnectionManager, httpRequest, scratchDir, startEchoServer, startHttpUpstream, startInProcess, tcpListener, waitForLines, type TestLike } from '@nodevoy/test-kit';
import { GRPC_STATUS, startGrpcAuthzServer, type AuthzAnswer, type SeenCheck } from './grpc-authz-server.js';

const EXT_AUTHZ = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';

/** The service's rules: the request path decides. */
function decide(check: SeenCheck): AuthzAnswer {
  const path = check.attributes.request?.http?.path ?? '';
  if (path.includes('/deny')) {
    return {
      status: { code: GRPC_STATUS.PERMISSION_DENIED },
      denied_response: {
        status: { code: 'Unauthorized' },
        body: 'no entry',
        headers: [{ header: { key: 'x-why', value: 'policy' } }, { header: { key: 'x-appended', value: 'dropped' }, append: { value: true } }],
      },
    };
  }
  if (path.includes('/fail')) return { grpcError: GRPC_STATUS.UNAVAILABLE };
  return {
    status: { code: GRPC_STATUS.OK },
    ok_response: {
      headers: [
        { header: { key: 'x-user', value: 'bob' } },
        { header: { key: 'x-tags', value: 'checked' }, append: { value: true } },
        { header: { key: 'x-absent', value: 'only-if-there' }, append: { value: true } },
      ],
      headers_to_remove: ['x-api-key'],
      response_headers_to_add: [{ header: { key: 'x-authz', value: 'ok' } }],
      query_parameters_to_set: [{ key: 'verified', value: '1' }],
      query_parameters_to_remove: ['token'],
    },
    dynamic_metadata: { fields: { principal: { stringValue: 'bob' } } },
  };
}

async function setup(t: TestLike, options: { readonly service?: string; readonly routes?: string; readonly accessLog?: string } = {}) {
  const authz = await startGrpcAuthzServer(t, decide);
  const upstream = await startHttpUpstream(t);
  const service = options.service ?? `              grpc_service: { envoy_grpc: { cluster_name: authz }, timeout: 2s }\n`;
  const hcm = httpConnectionManager({
    routeConfig: anyHostRoutes(options.routes ?? '              - { match: { prefix: / }, route: { cluster: backend } }\n'),
    extra: `          codec_type: AUTO\n${options.accessLog ?? ''}`,
    httpFilters: `          - name: envoy.filters.http.ext_authz
            typed_config:
              "@type": ${EXT_AUTHZ}
              transport_api_version: V3
${service.replace('AUTHZ_PORT', String(authz.port))}`,
  });
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', hcm)}  clusters:\n${cluster('backend', [{ port: upstream.port }])}${cluster('authz', [{ port: authz.port }], HTTP2_UPSTREAM)}`,
  );
  return { proxy, authz, upstream };
}

t.test('the CheckRequest carries the request’s attributes, every header and the route’s context extensions', async (t) => {
  const routes = `              - match: { prefix: / }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.ext_authz:
                    "@type": ${PER_ROUTE}
                    check_settings: { context_extensions: { service: orders } }
`;
  const { proxy, authz } = await setup(t, { routes });
  await httpRequest(proxy.port('http'), { path: '/orders?id=1', headers: { host: 'shop.test', 'x-api-key': 'k', 'x-multi': ['a', 'b'] } });
  const check = authz.checks[0];
  const http = check?.attributes.request?.http;
  t.equal(http?.method, 'GET');
  t.equal(http?.path, '/orders?id=1');
  t.equal(http?.host, 'shop.test');
  t.equal(http?.scheme, 'http');
  t.equal(http?.protocol, 'HTTP/1.1');
  t.equal(http?.headers['x-api-key'], 'k', 'a gRPC service gets every header');
  t.equal(http?.headers['x-multi'], 'a,b', 'values of one name joined with a comma');
  t.equal(http?.headers[':path'], '/orders?id=1');
  t.same(check?.attributes.context_extensions, { service: 'orders' });
  t.equal(check?.attributes.source?.address?.socket_address?.address, '127.0.0.1');
  t.equal(check?.attributes.destination?.address?.socket_address?.port_value, proxy.port('http'));
  t.equal(check?.authority, 'authz', 'the call’s authority is the cluster name');
  t.equal(proxy.stat('cluster.authz.upstream_rq_200'), 1, 'the call is a request of the authz cluster');
});

t.test('OK: headers set, appended to existing values only, removed; query changed; response header and metadata', async (t) => {
  const logDir = scratchDir(t);
  const log = `${logDir}/access.log`;
  const { proxy, upstream } = await setup(t, { accessLog: fileAccessLog(log, '%RESPONSE_CODE% %DYNAMIC_METADATA(envoy.filters.http.ext_authz:principal)%\n') });
  const response = await httpRequest(proxy.port('http'), { path: '/orders?token=secret&b=2', headers: { 'x-api-key': 'k', 'x-tags': 'first', 'x-user': 'mallory' } });
  t.equal(response.status, 200);
  t.equal(response.headers['x-authz'], 'ok');
  const forwarded = upstream.requests[0];
  t.equal(forwarded?.url, '/orders?b=2&verified=1', 'set and removed query parameters, keys in order as Envoy writes them');
  t.equal(forwarded?.headers['x-user'], 'bob', 'append unset: replaced');
  t.equal(forwarded?.headers['x-tags'], 'first,checked', 'append true: joined to the existing value');
  t.notOk(forwarded?.headers['x-absent'], 'append true adds nothing where there is no value');
  t.notOk(forwarded?.headers['x-api-key']);
  const [line] = await waitForLines(log, 1);
  t.equal(line, '200 bob');
  t.equal(proxy.stat('http.ingress.ext_authz.ok'), 1);
});

t.test('a denial: the denied response’s status by name, body, and headers not marked append', async (t) => {
  const { proxy, upstream } = await setup(t);
  const denied = await httpRequest(proxy.port('http'), { path: '/deny' });
  t.equal(denied.status, 401);
  t.equal(denied.body, 'no entry');
  t.equal(denied.headers['x-why'], 'policy');
  t.notOk(denied.headers['x-appended'], 'Envoy 1.40 leaves out a denial’s headers marked append');
  t.equal(upstream.requests.length, 0);
  t.equal(proxy.stat('http.ingress.ext_authz.denied'), 1);
});

t.test('a failed call is an error: 403, counted', async (t) => {
  const { proxy } = await setup(t);
  const failed = await httpRequest(proxy.port('http'), { path: '/fail' });
  t.equal(failed.status, 403);
  t.equal(proxy.stat('http.ingress.ext_authz.error'), 1);
});

t.test('HTTP/2 downstream: the protocol the service is told', async (t) => {
  const { proxy, authz } = await setup(t);
  const session = await http2Session(t, proxy.port('http'));
  const response = await http2Request(session, { ':path': '/h2', ':method': 'GET', ':authority': 'shop.test' });
  t.equal(response.headers[':status'], 200);
  t.equal(authz.checks[0]?.attributes.request?.http?.protocol, 'HTTP/2');
});

t.test('google_grpc: the same service reached through @grpc/grpc-js, with initial_metadata', async (t) => {
  const service = `              grpc_service:
                google_grpc: { target_uri: "127.0.0.1:AUTHZ_PORT", stat_prefix: authz }
                timeout: 2s
                initial_metadata: [{ key: x-tenant, value: acme }]
`;
  const { proxy, authz, upstream } = await setup(t, { service });
  t.equal((await httpRequest(proxy.port('http'), { path: '/orders' })).status, 200);
  t.equal((await httpRequest(proxy.port('http'), { path: '/deny' })).status, 401);
  t.equal(upstream.requests[0]?.headers['x-user'], 'bob');
  t.equal(authz.checks[0]?.metadata['x-tenant'], 'acme');
});

t.test('network ext_authz: an allowed connection’s bytes flow both ways; a denied one is closed before any byte goes on', async (t) => {
  let allow = true;
  const authz = await startGrpcAuthzServer(t, () => (allow ? { status: { code: GRPC_STATUS.OK } } : { status: { code: GRPC_STATUS.PERMISSION_DENIED } }));
  const echo = await startEchoServer(t);
  const chains = `    filter_chains:
    - filters:
      - name: envoy.filters.network.ext_authz
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz
          stat_prefix: tcp_authz
          grpc_service: { envoy_grpc: { cluster_name: authz } }
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: tcp
          cluster: echo
`;
  const proxy = await startInProcess(t, `${ADMIN}static_resources:\n  listeners:\n${tcpListener('tcp', chains)}  clusters:\n${cluster('echo', [{ port: echo.port }])}${cluster('authz', [{ port: authz.port }], HTTP2_UPSTREAM)}`);

  const allowed = await connectTo(t, proxy.port('tcp'));
  const received = collect(allowed);
  allowed.write('hello ');
  allowed.end('world');
  t.equal((await received).data.toString(), 'hello world', 'the held first bytes and the rest, echoed');
  t.equal(authz.checks[0]?.attributes.source?.address?.socket_address?.address, '127.0.0.1');

  allow = false;
  const denied = await connectTo(t, proxy.port('tcp'));
  const deniedReceived = collect(denied);
  denied.write('let me in');
  t.equal((await deniedReceived).data.length, 0, 'closed, nothing echoed');
  t.equal(proxy.stat('ext_authz.tcp_authz.total'), 2);
  t.equal(proxy.stat('ext_authz.tcp_authz.ok'), 1);
  t.equal(proxy.stat('ext_authz.tcp_authz.denied'), 1);
  t.equal(proxy.stat('ext_authz.tcp_authz.cx_closed'), 1);
  t.equal(proxy.stat('ext_authz.tcp_authz.active'), 0);
});
