// envoy.filters.http.rbac through a real connection manager: ALLOW and DENY policies on methods,
// paths and the client's address (x-forwarded-for with trusted hops decides it, as Envoy's),
// shadow rules that only count, route-level rules, and what access logs and stats show.
import t from 'tap';
import { fileAccessLog, httpProxyBootstrap, httpRequest, scratchDir, startHttpUpstream, startInProcess, waitForLines, type TestLike } from '@nodevoy/test-kit';
import { NODE_ADDRESS } from '@nodevoy/filter-http-connection-manager';

const RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const RBAC_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute';

/** Admins (10.0.0.0/8, as x-forwarded-for says through one trusted proxy) may GET /admin; anyone may use /public. */
const RULES = `
              rules:
                action: ALLOW
                policies:
                  admin-get:
                    permissions:
                    - and_rules:
                        rules:
                        - header: { name: ":method", string_match: { exact: GET } }
                        - url_path: { path: { prefix: /admin } }
                    principals: [{ remote_ip: { address_prefix: 10.0.0.0, prefix_len: 8 } }]
                  public:
                    permissions: [{ url_path: { path: { prefix: /public } } }]
                    principals: [{ any: true }]
              shadow_rules_stat_prefix: audit_
              shadow_rules:
                action: DENY
                policies:
                  no-curl:
                    permissions: [{ any: true }]
                    principals: [{ header: { name: user-agent, string_match: { prefix: curl } } }]
              track_per_rule_stats: true
`;

async function setup(t: TestLike, hcmExtra: string) {
  const upstream = await startHttpUpstream(t);
  const log = `${scratchDir(t)}/access.log`;
  const routes = `              - match: { prefix: /open }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.rbac: { "@type": ${RBAC_PER_ROUTE} }
              - { match: { prefix: / }, route: { cluster: backend } }
`;
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      hcmExtra: `${hcmExtra}${fileAccessLog(log, '%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT% %DYNAMIC_METADATA(envoy.filters.http.rbac:enforced_engine_result)% %DYNAMIC_METADATA(envoy.filters.http.rbac:audit_shadow_engine_result)%\n')}`,
      httpFilters: `          - name: envoy.filters.http.rbac
            typed_config:
              "@type": ${RBAC}${RULES}`,
      routes,
    }),
  );
  const port = proxy.port('http');
  const get = (path: string, headers: Record<string, string> = {}) => httpRequest(port, { path, headers });
  return { proxy, log, get, upstream };
}

t.test('use_remote_address with one trusted hop: the client is the last x-forwarded-for entry', async (t) => {
  const { proxy, log, get, upstream } = await setup(t, '          use_remote_address: true\n          xff_num_trusted_hops: 1\n');
  const admin = await get('/admin/users', { 'x-forwarded-for': '10.1.2.3' });
  t.equal(admin.status, 200, 'an address inside 10/8 may GET /admin');
  const outsider = await get('/admin/users', { 'x-forwarded-for': '10.1.2.3, 192.0.2.7' });
  t.equal(outsider.status, 403, 'the last hop is the one a trusted proxy saw');
  t.equal(outsider.body, 'RBAC: access denied');
  const direct = await get('/admin/users');
  t.equal(direct.status, 403, 'without x-forwarded-for the peer (127.0.0.1) is judged');
  t.equal((await get('/public/page', { 'user-agent': 'curl/8' })).status, 200, 'the shadow rules deny curl but only count it');
  t.equal(upstream.requests.length, 2, 'only the allowed requests reached the upstream');
  t.equal(upstream.requests[0]?.headers['x-forwarded-for'], `10.1.2.3,${NODE_ADDRESS}`, 'the peer (loopback: the node’s address) is appended after the check');
  t.equal(upstream.requests[0]?.headers['x-envoy-external-address'], '10.1.2.3', 'an edge request carries the client it came from');

  t.equal(proxy.stat('http.ingress.rbac.allowed'), 2);
  t.equal(proxy.stat('http.ingress.rbac.denied'), 2);
  t.equal(proxy.stat('http.ingress.rbac.policy.admin-get.allowed'), 1);
  t.equal(proxy.stat('http.ingress.rbac.policy.public.allowed'), 1);
  t.equal(proxy.stat('http.ingress.rbac.audit_.shadow_allowed'), 3);
  t.equal(proxy.stat('http.ingress.rbac.audit_.shadow_denied'), 1);
  t.equal(proxy.stat('http.ingress.rbac.audit_.policy.no-curl.shadow_denied'), 1);
  const lines = await waitForLines(log, 4);
  t.equal(lines[0], '200 via_upstream 10.1.2.3:0 127.0.0.1 allowed allowed', 'logs show the decided client and the direct peer');
  t.equal(lines[1], '403 rbac_access_denied_matched_policy[none] 192.0.2.7:0 127.0.0.1 denied allowed');
  t.match(lines[2], /^403 rbac_access_denied_matched_policy\[none\] 127\.0\.0\.1:\d+ 127\.0\.0\.1 denied allowed$/);
  t.match(lines[3], /^200 via_upstream 127\.0\.0\.1:\d+ 127\.0\.0\.1 allowed denied$/);
});

t.test('without use_remote_address the last x-forwarded-for entry is the client, or the one N trusted hops before it', async (t) => {
  const { get } = await setup(t, '          xff_num_trusted_hops: 1\n');
  t.equal((await get('/admin/x', { 'x-forwarded-for': '10.9.9.9, 192.0.2.7' })).status, 200, 'one trusted hop: the entry before the last');
  t.equal((await get('/admin/x', { 'x-forwarded-for': '192.0.2.7, 10.9.9.9' })).status, 403);
  t.equal((await get('/admin/x', { 'x-forwarded-for': '10.9.9.9' })).status, 403, 'too few entries: the peer is judged');
});

t.test('a route whose RBACPerRoute has no rules is not checked; others are', async (t) => {
  const { proxy, get } = await setup(t, '');
  t.equal((await get('/open/anything')).status, 200);
  t.equal((await get('/admin/x')).status, 403);
  t.equal(proxy.stat('http.ingress.rbac.allowed'), 0, 'the open route counts nothing');
  t.equal(proxy.stat('http.ingress.rbac.denied'), 1);
});
