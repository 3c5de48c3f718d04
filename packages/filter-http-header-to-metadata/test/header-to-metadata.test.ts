// envoy.filters.http.header_to_metadata through a real connection manager and upstream, its
// metadata read back by an access log: present and missing headers, numbers, base64, regex
// rewrites, cookies, configured values, removal on the way up and down, a route's own rules,
// and the rules Envoy refuses.
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, configProblems, fileAccessLog, httpConnectionManager, httpRequest, scratchDir, startHttpUpstream, startInProcess, tcpListener, waitForLines, type TestLike } from '@nodevoy/test-kit';

const CONFIG = 'type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config';

const RULES = `              request_rules:
              - header: x-version
                on_header_present: { key: version, type: STRING }
                on_header_missing: { key: version, value: none }
                remove: true
              - header: x-count
                on_header_present: { metadata_namespace: acme, key: count, type: NUMBER }
              - header: x-b64
                on_header_present: { metadata_namespace: acme, key: decoded, encode: BASE64 }
              - header: x-path
                on_header_present: { metadata_namespace: acme, key: first, regex_value_rewrite: { pattern: { regex: "^/(\\\\w+)/.*$" }, substitution: "\\\\1" } }
              - cookie: session
                on_header_present: { metadata_namespace: acme, key: session }
              - header: x-flag
                on_header_present: { metadata_namespace: acme, key: flag, value: set }
              response_rules:
              - header: x-upstream-tag
                on_header_present: { metadata_namespace: response, key: tag }
                remove: true
`;

async function setup(t: TestLike, routes = '              - { match: { prefix: / }, route: { cluster: backend } }\n') {
  const upstream = await startHttpUpstream(t, (_request, response) => {
    response.setHeader('x-upstream-tag', 'blue');
    response.end('ok');
  });
  const log = `${scratchDir(t)}/access.log`;
  const hcm = httpConnectionManager({
    routeConfig: anyHostRoutes(routes),
    extra: fileAccessLog(log, '%DYNAMIC_METADATA(envoy.filters.http.header_to_metadata)% %DYNAMIC_METADATA(acme)% %DYNAMIC_METADATA(response)%\n'),
    httpFilters: `          - name: envoy.filters.http.header_to_metadata
            typed_config:
              "@type": ${CONFIG}
${RULES}`,
  });
  const proxy = await startInProcess(t, `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', hcm)}  clusters:\n${cluster('backend', [{ port: upstream.port }])}`);
  const send = (path: string, headers: Record<string, string>) => httpRequest(proxy.port('http'), { path, headers });
  return { upstream, send, log };
}

t.test('headers, cookies, numbers, base64 and rewrites into metadata; removed headers stay behind', async (t) => {
  const { upstream, send, log } = await setup(t);
  const response = await send('/a', { 'x-version': 'v2', 'x-count': '42.5', 'x-b64': Buffer.from('hello').toString('base64'), 'x-path': '/api/v1/x', cookie: 'a=1; session=abc', 'x-flag': 'anything' });
  t.notOk(response.headers['x-upstream-tag'], 'a response rule removed the upstream’s header');
  t.notOk(upstream.requests[0]?.headers['x-version'], 'remove: the upstream does not get it');
  t.equal(upstream.requests[0]?.headers['x-count'], '42.5', 'other headers go on');
  await send('/b', { 'x-count': 'not a number', 'x-b64': '!!!', 'x-path': 'nomatch', 'x-flag': '' });
  await send('/c', { 'x-version': '' });
  t.same(await waitForLines(log, 3), [
    '{"version":"v2"} {"count":42.5,"decoded":"hello","first":"api","flag":"set","session":"abc"} {"tag":"blue"}',
    '{"version":"none"} {"first":"nomatch","flag":"set"} {"tag":"blue"}',
    '- - {"tag":"blue"}',
  ]);
});

t.test('a route’s rules replace the filter’s', async (t) => {
  const routes = `              - match: { prefix: /other }
                route: { cluster: backend }
                typed_per_filter_config:
                  envoy.filters.http.header_to_metadata:
                    "@type": ${CONFIG}
                    request_rules: [{ header: x-count, on_header_present: { metadata_namespace: acme, key: route_count } }]
              - { match: { prefix: / }, route: { cluster: backend } }
`;
  const { send, log } = await setup(t, routes);
  await send('/other', { 'x-count': '7', 'x-version': 'v1' });
  t.same(await waitForLines(log, 1), ['- {"route_count":"7"} -']);
});

t.test('rules Envoy refuses are config errors with their path', async (t) => {
  const withRules = (rules: string) => `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n'), httpFilters: `          - name: envoy.filters.http.header_to_metadata\n            typed_config:\n              "@type": ${CONFIG}\n${rules}` }))}  clusters:
${cluster('backend', [{ port: 1 }])}`;
  t.match(configProblems(withRules('              request_rules: [{ header: x-a, on_header_missing: { key: k } }]\n')), /request_rules\[0\]\.on_header_missing: a rule applied when the header is missing needs a value/);
  t.match(configProblems(withRules('              request_rules: [{ cookie: c, remove: true }]\n')), /request_rules\[0\]\.remove: cookies cannot be removed/);
  t.match(configProblems(withRules('              request_rules: [{ on_header_present: { key: k } }]\n')), /request_rules\[0\]/);
});
