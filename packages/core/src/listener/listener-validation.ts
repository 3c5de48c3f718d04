import { isIP } from 'node:net';
import type { ListenerConfig } from '../config/envoy/listener.js';

/** How a listener is reached, once its config passed Envoy's rules. */
export type ListenerForm =
  | { readonly kind: 'tcp'; readonly ip: string; readonly port: number }
  | { readonly kind: 'internal'; readonly key: string; readonly legacy: boolean };

export type ListenerIssue = (field: string | undefined, message: string, hint?: string) => void;

/**
 * Envoy's listener rules, in Envoy's order and with Envoy's messages (the hint is nodevoy's).
 * Returns the listener's form, or undefined when it cannot be built.
 * `internalSupport` tells whether the internal listener bootstrap extension is present.
 */
export function validateListener(
  config: ListenerConfig,
  name: string,
  internalSupport: { readonly registryInstalled: boolean; readonly runtimeAllows: boolean },
  issue: ListenerIssue,
): ListenerForm | undefined {
  const named = `error adding listener named '${name}'`;
  if (config.api_listener && config.internal_listener) {
    issue('internal_listener', `${named}: api_listener and internal_listener cannot be both set`, 'keep one of them');
    return undefined;
  }
  if (config.api_listener) {
    issue('api_listener', 'api_listener is not supported by nodevoy', 'nodevoy has no API listener; use a socket or internal listener');
    return undefined;
  }
  if (!config.internal_listener && !config.address) {
    issue(undefined, `${named}: address is necessary`, 'add an address, or internal_listener: {} for an internal listener');
    return undefined;
  }
  if (config.internal_listener && config.address) {
    issue(
      'address',
      `error adding listener '${name}': address should not be used when an internal listener config is provided`,
      'remove address: internal listeners are reached by name',
    );
    return undefined;
  }

  const legacyInternal = config.address?.envoy_internal_address;
  if (config.internal_listener || legacyInternal) {
    if (config.enable_mptcp) {
      issue('enable_mptcp', `listener ${name}: enable_mptcp can only be used with IP addresses`, 'remove enable_mptcp from the internal listener');
      return undefined;
    }
    if (!internalSupport.runtimeAllows) {
      issue(
        legacyInternal ? 'address' : 'internal_listener',
        `${named}: internal listeners are disabled by the runtime key envoy.reloadable_features.internal_address=false`,
        'remove that runtime value or set it to true',
      );
      return undefined;
    }
    if (!internalSupport.registryInstalled) {
      issue(
        legacyInternal ? 'address' : 'internal_listener',
        `${named}: InternalListener bootstrap extension is mandatory`,
        'add envoy.bootstrap.internal_listener (type.googleapis.com/envoy.extensions.bootstrap.internal_listener.v3.InternalListener) to bootstrap_extensions',
      );
      return undefined;
    }
    const tcpOnly = (
      [
        ['connection_balance_config', config.connection_balance_config !== undefined],
        ['enable_reuse_port', config.enable_reuse_port !== undefined],
        ['freebind', config.freebind === true],
        ['tcp_backlog_size', config.tcp_backlog_size !== undefined],
        ['tcp_fast_open_queue_length', config.tcp_fast_open_queue_length !== undefined],
        ['transparent', config.transparent === true],
      ] as const
    ).find(([, present]) => present);
    if (tcpOnly) {
      issue(tcpOnly[0], `${named}: has unsupported tcp listener feature`, `internal listeners have no kernel socket: remove ${tcpOnly[0]}`);
      return undefined;
    }
    if ((config.socket_options ?? []).length > 0) {
      issue('socket_options', `${named}: does not support socket option`, 'internal listeners have no kernel socket: remove socket_options');
      return undefined;
    }
    if (legacyInternal) {
      const key = legacyInternal.server_listener_name ?? '';
      if (key === '') {
        issue('address', `${named}: an internal address needs server_listener_name`);
        return undefined;
      }
      return { kind: 'internal', key, legacy: true };
    }
    return { kind: 'internal', key: name, legacy: false };
  }

  const socket = config.address?.socket_address;
  if (!socket) return undefined;
  if (isIP(socket.address) === 0) {
    issue('address', `malformed IP address: ${socket.address}`, 'a listener binds an IP address, such as 0.0.0.0 or 127.0.0.1');
    return undefined;
  }
  const unsupported = (
    [
      ['enable_mptcp', config.enable_mptcp === true],
      ['freebind', config.freebind === true],
      ['transparent', config.transparent === true],
      ['socket_options', (config.socket_options ?? []).length > 0],
      ['tcp_fast_open_queue_length', (config.tcp_fast_open_queue_length ?? 0) > 0],
    ] as const
  ).find(([, present]) => present);
  if (unsupported) {
    issue(unsupported[0], `${named}: ${unsupported[0]} is not supported by nodevoy`, `Node.js sockets cannot set it: remove ${unsupported[0]}`);
    return undefined;
  }
  return { kind: 'tcp', ip: socket.address, port: socket.port_value ?? 0 };
}
