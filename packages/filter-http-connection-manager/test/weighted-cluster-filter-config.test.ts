// typed_per_filter_config on weighted clusters: the cluster is picked as the route resolves, so
// the filters before the router see the picked cluster's config (most specific of all levels),
// and the router forwards to that same cluster.
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, httpConnectionManager, httpRequest, startHttpUpstream, startInProcess, tcpListener } from '@nodevoy/test-kit';

const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

t.test('a weighted cluster’s filter config applies to the requests sent to it', async (t) => {
  const blue = await startHttpUpstream(t, (_request, response) => response.end('blue'));
  const green = await startHttpUpstream(t, (_request, response) => response.end('green'));
  const routes = `              - match: { prefix: /teapot }
                route:
                  weighted_clusters:
                    clusters:
                    - name: blue
                      weight: 1
                      typed_per_filter_config:
                        envoy.filters.http.fault:
                          "@type": ${FAULT}
                          abort: { http_status: 418, percentage: { numerator: 100 } }
                    - { name: green, weight: 0 }
              - match: { prefix: /quiet }
                route:
                  weighted_clusters:
                    clusters:
                    - { name: blue, weight: 0 }
                    - name: green
                      weight: 1
                      typed_per_filter_config:
                        envoy.filters.http.fault:
                          "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig
                          disabled: true
`;
  const hcm = httpConnectionManager({
    routeConfig: anyHostRoutes(routes),
    httpFilters: `          - name: envoy.filters.http.fault
            typed_config:
              "@type": ${FAULT}
              abort: { http_status: 503, percentage: { numerator: 100 } }
`,
  });
  const proxy = await startInProcess(t, `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', hcm)}  clusters:\n${cluster('blue', [{ port: blue.port }])}${cluster('green', [{ port: green.port }])}`);
  const teapot = await httpRequest(proxy.port('http'), { path: '/teapot' });
  t.equal(teapot.status, 418, 'the picked cluster’s abort replaces the filter’s');
  const quiet = await httpRequest(proxy.port('http'), { path: '/quiet' });
  t.equal(quiet.status, 200, 'the picked cluster turns the filter off');
  t.equal(quiet.body, 'green', 'and the router forwards to the cluster that was picked');
  t.equal(blue.requests.length, 0);
});
