import type { GrpcServiceConfig, ServerContext } from '@nodevoy/core';

/** Where the gRPC client connects: a grpc-js target, or why there is none right now. */
export type GrpcTarget = { readonly target: string; readonly authority: string } | { readonly problem: string };

/**
 * The target of a `GrpcService`: for `envoy_grpc`, a host of the named cluster, picked by the
 * cluster's load balancer at each (re)connect; for `google_grpc`, its `target_uri`.
 */
export function grpcTarget(service: GrpcServiceConfig, server: ServerContext): GrpcTarget {
  if (service.google_grpc) return { target: service.google_grpc.target_uri, authority: service.google_grpc.target_uri };
  const clusterName = service.envoy_grpc?.cluster_name ?? '';
  const cluster = server.clusterManager.getCluster(clusterName);
  if (!cluster) return { problem: `unknown gRPC client cluster '${clusterName}'` };
  const host = cluster.chooseHost();
  if (!host) return { problem: `no healthy host in cluster '${clusterName}'` };
  const address = host.address;
  if (address.kind !== 'socket') return { problem: `cluster '${clusterName}': nodevoy's xDS client reaches socket addresses only, not ${address.asString}` };
  const target = address.ip.includes(':') ? `ipv6:[${address.ip}]:${address.port}` : `ipv4:${address.ip}:${address.port}`;
  return { target, authority: service.envoy_grpc?.authority || clusterName };
}
