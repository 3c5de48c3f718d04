import type { StatsScope } from '@nodevoy/core';
import type { HeaderMap } from './headers.js';

/** Envoy's `hasGrpcContentType`: `application/grpc`, or `application/grpc+<codec>` / `;<params>`. */
export function hasGrpcContentType(headers: HeaderMap): boolean {
  const contentType = headers.get('content-type');
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  const rest = contentType.slice('application/grpc'.length);
  return rest === '' || rest.startsWith('+') || rest.startsWith(';');
}

/** Envoy's `httpToGrpcStatus`: the gRPC status an HTTP status stands for. */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/** Envoy's `PercentEncoding::encode` for `grpc-message`: `%` and bytes outside printable ASCII as `%XX`. */
export function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) out += byte === 0x25 || byte < 0x20 || byte > 0x7e ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  return out;
}

/** `/package.Service/Method` split into its service and method; undefined for any other path. */
export function grpcServiceAndMethod(path: string): { readonly service: string; readonly method: string } | undefined {
  const parts = path.split('?')[0]?.split('/') ?? [];
  return parts.length === 3 && parts[0] === '' && parts[1] && parts[2] ? { service: parts[1], method: parts[2] } : undefined;
}

/** Envoy's `Grpc::Context::chargeStat`: `<prefix><status>`, `<prefix>success` or `failure`, and `<prefix>total`. */
export function chargeGrpcStatus(scope: StatsScope, prefix: string, grpcStatus: string): void {
  scope.counter(`${prefix}${grpcStatus}`).inc();
  scope.counter(`${prefix}${grpcStatus === '0' ? 'success' : 'failure'}`).inc();
  scope.counter(`${prefix}total`).inc();
}
