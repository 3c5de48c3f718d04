import {
  clusterLoadAssignmentSchema,
  discoveredHost,
  internalEndpointAddress,
  loadAssignmentEntries,
  socketAddress,
  XDS_SUBSCRIPTIONS,
  XdsRejection,
  XdsTypeUrl,
  type ClusterFactoryContext,
  type ClusterLoadAssignmentConfig,
  type DiscoveredHost,
  type HostDiscovery,
  type XdsConfigSourceConfig,
  type XdsResource,
  type XdsWatch,
} from '@nodevoy/core';
import { isIP } from 'node:net';

/**
 * The hosts of an EDS cluster: the `ClusterLoadAssignment` named `service_name` (else the
 * cluster's name), watched on the cluster's `eds_config`. The cluster is warm at the first
 * assignment, or once the subscription failed or timed out (then with no hosts, as Envoy).
 */
export class EdsHostDiscovery implements HostDiscovery {
  hosts: readonly DiscoveredHost[] = [];
  readonly countsOwnUpdates = true;
  private readonly changeListeners: (() => void)[] = [];
  private watch: XdsWatch | undefined;
  private readonly subscriptions;

  constructor(
    private readonly serviceName: string,
    private readonly source: XdsConfigSourceConfig,
    private readonly context: ClusterFactoryContext,
  ) {
    this.subscriptions = context.server.services.get(XDS_SUBSCRIPTIONS);
  }

  initialize(): Promise<void> {
    const subscriptions = this.subscriptions;
    if (!subscriptions) return Promise.resolve();
    return new Promise((resolve) => {
      this.watch = subscriptions.subscribe(this.source, XdsTypeUrl.endpoint, [this.serviceName], this.context.clusterStats, {
        onUpdate: (resources) => {
          try {
            this.apply(resources);
          } finally {
            resolve();
          }
        },
        onFailure: () => resolve(),
      });
    });
  }

  onHostsChanged(callback: () => void): void {
    this.changeListeners.push(callback);
  }

  stop(): void {
    this.watch?.cancel();
    this.watch = undefined;
  }

  private apply(resources: readonly XdsResource[]): void {
    const resource = resources.find((r) => r.name === this.serviceName);
    if (!resource) return;
    if (!this.subscriptions) return;
    this.hosts = this.subscriptions.build(clusterLoadAssignmentSchema, resource, hostsOf);
    for (const listener of this.changeListeners) listener();
  }
}

/** The assignment's endpoints as hosts; a name that is not an IP address is refused, as Envoy's EDS does. */
function hostsOf(assignment: ClusterLoadAssignmentConfig): DiscoveredHost[] {
  return loadAssignmentEntries(assignment).map((entry) => {
    const internal = internalEndpointAddress(entry.address);
    if (internal) return discoveredHost(entry, internal);
    const socket = entry.address.socket_address;
    if (!socket || isIP(socket.address) === 0) throw new XdsRejection(`malformed IP address: ${socket?.address ?? ''}`);
    return discoveredHost(entry, socketAddress(socket.address, socket.port_value ?? 0));
  });
}
