// Bad dynamic_resources are refused before anything connects, with the field path and Envoy's
// message where Envoy has one (Envoy itself aborts on an ADS source without ads_config).
import t from 'tap';
import { configProblems } from '@nodevoy/test-kit';

const XDS_CLUSTER = `static_resources:
  clusters:
  - name: xds_cluster
    type: STATIC
    load_assignment: { cluster_name: xds_cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 18000 } } } }] }] }
`;
const ADS = `  ads_config: { api_type: GRPC, transport_api_version: V3, grpc_services: [{ envoy_grpc: { cluster_name: xds_cluster } }] }\n`;

t.test('the config a control plane needs is accepted', async (t) => {
  t.equal(configProblems(`dynamic_resources:\n${ADS}  cds_config: { ads: {} }\n  lds_config: { ads: {}, resource_api_version: V3, initial_fetch_timeout: 5s }\n${XDS_CLUSTER}`), '');
});

t.test('an ADS source without ads_config', async (t) => {
  t.equal(
    configProblems(`dynamic_resources:\n  lds_config: { ads: {} }\n`),
    '--config-yaml:2:17: dynamic_resources.lds_config.ads: ADS must be configured to support an ADS config source (add dynamic_resources.ads_config)',
  );
});

t.test('an unknown cluster for the management server', async (t) => {
  t.match(
    configProblems(`dynamic_resources:\n  ads_config: { api_type: GRPC, grpc_services: [{ envoy_grpc: { cluster_name: nope } }] }\n  cds_config: { ads: {} }\n`),
    "dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: Unknown gRPC client cluster 'nope'",
  );
});

t.test('a management server behind TLS is refused rather than tried in plaintext for ever', async (t) => {
  const tlsCluster = XDS_CLUSTER.replace(
    '    type: STATIC\n',
    '    type: STATIC\n    transport_socket: { name: tls, typed_config: { "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext } }\n',
  );
  t.match(configProblems(`dynamic_resources:\n${ADS}  cds_config: { ads: {} }\n${tlsCluster}`), "dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: cluster 'xds_cluster' has a transport_socket: nodevoy reaches management servers in plaintext only");
});

t.test('REST, the v2 API and a missing or second gRPC service', async (t) => {
  t.match(configProblems(`dynamic_resources:\n  cds_config: { api_config_source: { api_type: REST, cluster_names: [xds_cluster] } }\n${XDS_CLUSTER}`), /dynamic_resources\.cds_config\.api_config_source\.api_type: .*REST.*\(nodevoy speaks xDS over gRPC only/);
  t.match(configProblems(`dynamic_resources:\n${ADS}  cds_config: { ads: {}, resource_api_version: V2 }\n${XDS_CLUSTER}`), /dynamic_resources\.cds_config\.resource_api_version: .*V2.*removed from Envoy; use V3/);
  t.match(
    configProblems(`dynamic_resources:\n  lds_config: { api_config_source: { api_type: GRPC } }\n${XDS_CLUSTER}`),
    'dynamic_resources.lds_config.api_config_source.grpc_services: envoy.config.core.v3.ApiConfigSource::GRPC must have a single gRPC service specified',
  );
});

t.test('listeners and clusters from files need no management server', async (t) => {
  t.equal(configProblems(`dynamic_resources:\n  lds_config: { path_config_source: { path: /tmp/lds.yaml } }\n  cds_config: { path: /tmp/cds.yaml }\n`), '');
});

t.test('an EDS cluster needs its EDS config', async (t) => {
  t.match(configProblems(`static_resources:\n  clusters:\n  - { name: backend, type: EDS }\n`), 'static_resources.clusters[0].eds_cluster_config: cannot create an EDS cluster without an EDS config');
  t.match(
    configProblems(`static_resources:\n  clusters:\n  - { name: backend, type: EDS, eds_cluster_config: { eds_config: { ads: {} } } }\n`),
    'static_resources.clusters[0].eds_cluster_config.eds_config.ads: ADS must be configured to support an ADS config source',
  );
});
