// Bad RBAC configs are refused with the path of the field and Envoy's reason.
import t from 'tap';
import { ADMIN, anyHostRoutes, configProblems, httpConnectionManager, tcpListener } from '@nodevoy/test-kit';

function hcmWithRbac(rbac: string): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'http',
  httpConnectionManager({
    httpFilters: `          - name: envoy.filters.http.rbac
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
${rbac}`,
    routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200 } }\n'),
  }),
)}`;
}

const FILTER = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';

t.test('an address that is not an IP, a policy without principals, a CEL condition', async (t) => {
  const found = configProblems(
    hcmWithRbac(`              rules:
                policies:
                  bad-ip:
                    permissions: [{ any: true }]
                    principals: [{ remote_ip: { address_prefix: not-an-ip, prefix_len: 8 } }]
                  no-principals:
                    permissions: [{ any: true }]
                  cel:
                    permissions: [{ any: true }]
                    principals: [{ any: true }]
                    condition: { const_expr: { bool_value: true } }
`),
  );
  t.match(found, `${FILTER}.rules.policies["bad-ip"].principals[0].remote_ip.address_prefix: malformed IP address: not-an-ip`);
  t.match(found, `${FILTER}.rules.policies["no-principals"]: missing required field 'principals' in Policy`);
  t.match(found, `${FILTER}.rules.policies.cel.condition: field 'condition' of Policy is not supported by nodevoy (CEL expressions are not supported by nodevoy)`);
});

t.test('a port range that is empty or out of bounds', async (t) => {
  const found = configProblems(
    hcmWithRbac(`              rules:
                policies:
                  p:
                    permissions: [{ destination_port_range: { start: 9000, end: 8000 } }]
                    principals: [{ any: true }]
`),
  );
  t.match(found, /destination_port_range: range start 9000 cannot be greater or equal than range end 8000/);
});
