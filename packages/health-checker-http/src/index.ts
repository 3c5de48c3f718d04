import { extensionPackage, type NodevoyExtension } from '@nodevoy/core';
import { grpcHealthChecker } from './grpc-health-checker.js';
import { httpHealthChecker } from './http-health-checker.js';

export { httpHealthChecker } from './http-health-checker.js';
export { grpcHealthChecker } from './grpc-health-checker.js';
export { httpHealthCheckSchema, type HttpHealthCheckConfig } from './http-health-check-config.js';

/** Registers `envoy.health_checkers.http` and `envoy.health_checkers.grpc` (a cluster's `http_health_check`, `grpc_health_check`). */
export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpHealthChecker).add(grpcHealthChecker);
  },
};
