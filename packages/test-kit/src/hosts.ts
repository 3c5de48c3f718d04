import { socketAddress, type Host, type HostHealthFlag } from '@nodevoy/core';

export interface TestHostOptions {
  readonly weight?: number;
  readonly priority?: number;
  /** Failed by an active health check: out of the healthy set. */
  readonly failed?: boolean;
}

/**
 * A host as a load balancer sees it (`10.0.0.1:<port>`), to test a balancer or a priority
 * computation without a cluster around it.
 */
export function testHost(port: number, options: TestHostOptions = {}): Host {
  const flags: HostHealthFlag[] = options.failed ? ['failed_active_hc'] : [];
  return {
    address: socketAddress('10.0.0.1', port),
    hostname: '',
    weight: options.weight ?? 1,
    priority: options.priority ?? 0,
    health: 'HEALTHY',
    metadata: {},
    locality: { region: '', zone: '', sub_zone: '' },
    stats: { cx_total: 0, cx_active: 0, cx_connect_fail: 0, rq_total: 0, rq_active: 0, rq_error: 0, rq_success: 0, rq_timeout: 0, rq_pending_active: 0 },
    healthFlags: new Set(flags),
  };
}
