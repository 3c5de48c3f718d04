import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { tcpHealthChecker } from './tcp-health-checker.js';

export { tcpHealthChecker } from './tcp-health-checker.js';

/** Registers `envoy.health_checkers.tcp` (a cluster's `tcp_health_check`). */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(tcpHealthChecker);
  },
};
