import type { AddressConfig } from '../config/envoy/address.js';
import type { ClusterConfig, ClusterLoadAssignmentConfig, LbEndpointConfig } from '../config/envoy/cluster.js';
import { internalAddress, type Address } from '../network/address.js';
import type { DiscoveredHost } from '../registry/types.js';

/** One `lb_endpoints` entry with the locality facts around it. */
export interface EndpointEntry {
  readonly endpoint: LbEndpointConfig;
  readonly address: AddressConfig;
  readonly priority: number;
  readonly locality: DiscoveredHost['locality'];
}

/** Every endpoint with an address in a cluster's `load_assignment`, in config order. */
export function endpointEntries(config: ClusterConfig): EndpointEntry[] {
  return config.load_assignment ? loadAssignmentEntries(config.load_assignment) : [];
}

/** Every endpoint with an address in a load assignment (a cluster's, or one from EDS), in order. */
export function loadAssignmentEntries(assignment: ClusterLoadAssignmentConfig): EndpointEntry[] {
  const out: EndpointEntry[] = [];
  for (const locality of assignment.endpoints ?? []) {
    for (const endpoint of locality.lb_endpoints ?? []) {
      const address = endpoint.endpoint?.address;
      if (!address) continue;
      out.push({
        endpoint,
        address,
        priority: locality.priority ?? 0,
        locality: {
          region: locality.locality?.region ?? '',
          zone: locality.locality?.zone ?? '',
          sub_zone: locality.locality?.sub_zone ?? '',
        },
      });
    }
  }
  return out;
}

/** The host an entry describes once its address is known. */
export function discoveredHost(entry: EndpointEntry, address: Address): DiscoveredHost {
  return {
    address,
    hostname: entry.endpoint.endpoint?.hostname ?? '',
    weight: entry.endpoint.load_balancing_weight ?? 1,
    priority: entry.priority,
    health: entry.endpoint.health_status ?? 'UNKNOWN',
    metadata: entry.endpoint.metadata?.filter_metadata ?? {},
    locality: entry.locality,
    ...healthCheckConfigOf(entry.endpoint),
  };
}

function healthCheckConfigOf(endpoint: LbEndpointConfig): Pick<DiscoveredHost, 'healthCheckConfig'> {
  const config = endpoint.endpoint?.health_check_config;
  if (!config) return {};
  return {
    healthCheckConfig: {
      ...(config.port_value ? { portValue: config.port_value } : {}),
      ...(config.hostname ? { hostname: config.hostname } : {}),
      ...(config.disable_active_health_check ? { disabled: true } : {}),
    },
  };
}

/** An `envoy_internal_address` endpoint as an Address, or undefined for a socket address. */
export function internalEndpointAddress(address: AddressConfig): Address | undefined {
  const internal = address.envoy_internal_address;
  if (!internal) return undefined;
  return internalAddress(internal.server_listener_name ?? '', internal.endpoint_id ?? '');
}
