import type { ServerContext } from '@nodevoy/core';
import type { DecoderFilterCallbacks, EncoderFilterCallbacks, HttpFilter, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import { chargeGrpcStatus, grpcServiceAndMethod, hasGrpcContentType, httpToGrpcStatus, percentEncode, type HeaderMap } from '@nodevoy/http';
import { Base64BodyDecoder, Base64BodyError, Base64FrameEncoder, trailerFrame } from './grpc-web-codec.js';

const GRPC_WEB_TYPES = new Set(['application/grpc-web', 'application/grpc-web+proto', 'application/grpc-web-text', 'application/grpc-web-text+proto']);
const TEXT_TYPES = new Set(['application/grpc-web-text', 'application/grpc-web-text+proto']);
/** What a non-gRPC answer may contribute to `grpc-message` once more than one chunk was held (Envoy's limit). */
const MAX_MESSAGE_BYTES = 16384;

/** A gRPC answer's headers: 200 and a gRPC content type, or (trailers-only) a `grpc-status`. */
function isGrpcResponse(headers: HeaderMap, endStream: boolean): boolean {
  if (endStream) return headers.has('grpc-status');
  return headers.get(':status') === '200' && hasGrpcContentType(headers);
}

/** A gRPC-Web answer already: 200 and a proto gRPC-Web content type. */
function isGrpcWebProtoResponse(headers: HeaderMap): boolean {
  const contentType = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  return headers.get(':status') === '200' && (contentType === 'application/grpc-web+proto' || contentType === 'application/grpc-web');
}

/**
 * `envoy.filters.http.grpc_web` on one request (Envoy's GrpcWebFilter): a gRPC-Web request
 * (binary, or base64 `-text`) goes upstream as gRPC (`application/grpc`, `te: trailers`,
 * `grpc-accept-encoding`); the answer comes back as gRPC-Web, its trailers as the body's last
 * frame, base64 if the client asked for text. An answer that is not gRPC (a local reply, an
 * upstream error page) keeps its status and gets `grpc-status` (from the HTTP status) and
 * `grpc-message` (its body, percent-encoded) instead of the body. Each gRPC status is counted in
 * `cluster.<route cluster>.grpc-web.<service>.<method>.*`.
 */
export class GrpcWebFilter implements HttpFilter {
  private decoder!: DecoderFilterCallbacks;
  private encoder!: EncoderFilterCallbacks;
  private isGrpcWeb = false;
  private textRequest: Base64BodyDecoder | undefined;
  private textResponse: Base64FrameEncoder | undefined;
  private statPrefix: string | undefined;
  /** A non-gRPC answer being turned into gRPC-Web: its held headers and body. */
  private transforming: { readonly headers: HeaderMap; readonly chunks: Buffer[]; bytes: number } | undefined;

  constructor(private readonly server: ServerContext) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.decoder = callbacks;
  }

  setEncoderFilterCallbacks(callbacks: EncoderFilterCallbacks): void {
    this.encoder = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const contentType = headers.get('content-type');
    if (!headers.has(':path') || contentType === undefined || !GRPC_WEB_TYPES.has(contentType)) return 'continue';
    this.isGrpcWeb = true;
    headers.remove('content-length');
    const cluster = this.decoder.route()?.action?.cluster;
    const names = grpcServiceAndMethod(headers.get(':path') ?? '');
    if (cluster !== undefined && names !== undefined) this.statPrefix = `grpc-web.${names.service}.${names.method}.`;
    if (TEXT_TYPES.has(contentType)) this.textRequest = new Base64BodyDecoder();
    headers.set('content-type', 'application/grpc');
    if (TEXT_TYPES.has(headers.get('accept') ?? '')) this.textResponse = new Base64FrameEncoder();
    headers.set('te', 'trailers');
    if (!headers.has('grpc-accept-encoding')) headers.set('grpc-accept-encoding', 'identity');
    return 'continue';
  }

  decodeData(data: Buffer, endStream: boolean): HttpFilterStatus {
    const text = this.textRequest;
    if (!text) return 'continue';
    let decoded: Buffer;
    try {
      decoded = text.decode(data, endStream);
    } catch (err) {
      if (!(err instanceof Base64BodyError)) throw err;
      this.decoder.sendLocalReply({ status: 400, body: err.message, details: err.details });
      return 'stop';
    }
    if (decoded.length > 0 || endStream) this.decoder.injectDecodedDataToFilterChain(decoded, endStream);
    return 'stop';
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterStatus {
    if (!this.isGrpcWeb) return 'continue';
    this.chargeStat(headers.get('grpc-status'));
    const transform = !isGrpcResponse(headers, endStream) && !isGrpcWebProtoResponse(headers);
    headers.set('content-type', this.textResponse ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto');
    if (endStream || !transform) return 'continue';
    this.transforming = { headers, chunks: [], bytes: 0 };
    return 'stop';
  }

  encodeData(data: Buffer, endStream: boolean): HttpFilterStatus {
    if (!this.isGrpcWeb) return 'continue';
    const transforming = this.transforming;
    if (transforming) {
      // Only what Envoy would keep: the first chunk whole, held chunks up to its limit.
      if (transforming.chunks.length === 0 || transforming.bytes < MAX_MESSAGE_BYTES) {
        transforming.chunks.push(data);
        transforming.bytes += data.length;
      }
      if (endStream) this.finishTransform();
      return 'stop';
    }
    const text = this.textResponse;
    if (!text) return 'continue';
    const encoded = text.encode(data);
    if (encoded.length > 0 || endStream) this.encoder.injectEncodedDataToFilterChain(encoded, endStream);
    return 'stop';
  }

  encodeTrailers(trailers: HeaderMap): HttpFilterStatus {
    if (!this.isGrpcWeb) return 'continue';
    this.chargeStat(trailers.get('grpc-status'));
    if (this.transforming) {
      this.finishTransform();
      return 'stop';
    }
    const frame = trailerFrame(trailers);
    this.encoder.injectEncodedDataToFilterChain(this.textResponse ? Buffer.from(frame.toString('base64'), 'latin1') : frame, true);
    return 'stop';
  }

  /** The held non-gRPC answer goes on as a gRPC-Web one: its body in `grpc-message`, no body left. */
  private finishTransform(): void {
    const { headers, chunks } = this.transforming as NonNullable<GrpcWebFilter['transforming']>;
    this.transforming = undefined;
    const body = Buffer.concat(chunks);
    const message = chunks.length > 1 ? body.subarray(0, MAX_MESSAGE_BYTES) : body;
    headers.set('grpc-message', percentEncode(message));
    headers.set('grpc-status', String(httpToGrpcStatus(Number(headers.get(':status')))));
    headers.set('content-length', '0');
    this.encoder.injectEncodedDataToFilterChain(Buffer.alloc(0), true);
    this.encoder.continueEncoding();
  }

  /** Envoy's `chargeStat`: the gRPC status, success or failure, and the total, once a status is known. */
  private chargeStat(grpcStatus: string | undefined): void {
    const cluster = this.decoder.route()?.action?.cluster;
    if (grpcStatus === undefined || this.statPrefix === undefined || cluster === undefined) return;
    const scope = this.server.clusterManager.getCluster(cluster)?.info.statsScope;
    if (scope) chargeGrpcStatus(scope, this.statPrefix, grpcStatus);
  }
}
