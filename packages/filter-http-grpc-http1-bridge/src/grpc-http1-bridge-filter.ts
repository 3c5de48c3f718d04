import type { DecoderFilterCallbacks, EncoderFilterCallbacks, HttpFilter, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import { hasGrpcContentType, type HeaderMap } from '@nodevoy/http';

/** Envoy's answer status for a call that failed: the HTTP/1.1 caller sees it without trailers. */
const FAILED_CALL_STATUS = '503';


/**
 * `envoy.filters.http.grpc_http1_bridge` on one request (Envoy's Http1BridgeFilter): for a gRPC
 * call from an HTTP/1.x client, the answer is held until its trailers, which go into the
 * response headers (`grpc-status`, `grpc-message`; `503` when the call failed) with the body's
 * `content-length`, so a client that cannot read trailers still learns how the call went.
 * A trailers-only answer (the status in its headers) is passed on untouched.
 */
export class GrpcHttp1BridgeFilter implements HttpFilter {
  private decoder!: DecoderFilterCallbacks;
  private encoder!: EncoderFilterCallbacks;
  private bridging = false;
  /** The held answer: its headers and body so far. */
  private held: { readonly headers: HeaderMap; readonly chunks: Buffer[] } | undefined;

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.decoder = callbacks;
  }

  setEncoderFilterCallbacks(callbacks: EncoderFilterCallbacks): void {
    this.encoder = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    this.bridging = this.decoder.protocol !== 'HTTP/2' && hasGrpcContentType(headers);
    return 'continue';
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterStatus {
    // A trailers-only answer goes on as it is, 200 even for a failed call, as Envoy's.
    if (!this.bridging || endStream) return 'continue';
    this.held = { headers, chunks: [] };
    return 'stop';
  }

  encodeData(data: Buffer, endStream: boolean): HttpFilterStatus {
    const held = this.held;
    if (!held) return 'continue';
    held.chunks.push(data);
    if (endStream) this.release(undefined);
    return 'stop';
  }

  encodeTrailers(trailers: HeaderMap): HttpFilterStatus {
    if (!this.held) return 'continue';
    this.release(trailers);
    return 'stop';
  }

  /** The held answer goes on with the trailers' status in its headers, then its body, then the trailers. */
  private release(trailers: HeaderMap | undefined): void {
    const { headers, chunks } = this.held as NonNullable<GrpcHttp1BridgeFilter['held']>;
    this.held = undefined;
    const body = Buffer.concat(chunks);
    const grpcStatus = trailers?.get('grpc-status');
    if (grpcStatus !== undefined) headers.set('grpc-status', grpcStatus);
    const grpcMessage = trailers?.get('grpc-message');
    if (grpcMessage !== undefined) headers.set('grpc-message', grpcMessage);
    if (grpcStatus !== undefined && grpcStatus !== '0') headers.set(':status', FAILED_CALL_STATUS);
    headers.set('content-length', String(body.length));
    headers.remove('transfer-encoding');
    this.encoder.injectEncodedDataToFilterChain(body, trailers === undefined);
    if (trailers) this.encoder.addEncodedTrailers(trailers);
    this.encoder.continueEncoding();
  }
}
