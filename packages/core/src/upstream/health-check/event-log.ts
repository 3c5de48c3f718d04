import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '../../log/logger.js';
import type { Address } from '../../network/address.js';
import type { Host } from '../types.js';
import type { HealthCheckFailureType } from './types.js';

/** One `envoy.data.core.v3.HealthCheckEvent` kind with its body. */
export type HealthCheckEventBody =
  | { readonly eject_unhealthy_event: { readonly failure_type: HealthCheckFailureType } }
  | { readonly add_healthy_event: { readonly first_check: boolean } }
  | { readonly health_check_failure_event: { readonly failure_type: HealthCheckFailureType; readonly first_check: boolean; readonly http_status_code: number } }
  | { readonly degraded_healthy_host: Record<string, never> }
  | { readonly no_longer_degraded_host: Record<string, never> }
  | { readonly successful_health_check_event: Record<string, never> };

/**
 * `event_log_path`: one JSON `HealthCheckEvent` per line, written as Envoy writes them (fields
 * in proto order, primitives printed even when zero), so tools reading Envoy's log read ours.
 */
export class HealthCheckEventLog {
  private readonly stream: WriteStream;

  constructor(
    path: string,
    private readonly type: string,
    private readonly clusterName: string,
    log: Logger,
  ) {
    this.stream = createWriteStream(path, { flags: 'a' });
    // A log that cannot be written must not take the proxy down with it.
    this.stream.on('error', (err) => log.warn(`health check event log ${path}: ${err.message}`));
  }

  write(host: Host, body: HealthCheckEventBody): void {
    const successful = 'successful_health_check_event' in body;
    const event = {
      health_checker_type: this.type,
      host: addressJson(host.address),
      cluster_name: this.clusterName,
      ...(successful ? {} : body),
      timestamp: new Date().toISOString(),
      locality: host.locality,
      ...(successful ? body : {}),
    };
    this.stream.write(`${JSON.stringify(event)}\n`);
  }

  close(): void {
    this.stream.end();
  }
}

function addressJson(address: Address): Record<string, unknown> {
  if (address.kind === 'socket') {
    return {
      socket_address: { protocol: 'TCP', address: address.ip, port_value: address.port, resolver_name: '', ipv4_compat: false, network_namespace_filepath: '' },
    };
  }
  return { envoy_internal_address: { server_listener_name: address.serverListenerName, endpoint_id: address.endpointId } };
}
