import type { ChunkCodec } from '@nodevoy/core';
import { perFilterConfig, type DecoderFilterCallbacks, type EncoderFilterCallbacks, type HttpFilter, type HttpFilterResult } from '@nodevoy/filter-http-connection-manager';
import { hasNoTransform, upgradeRequested, type HeaderMap } from '@nodevoy/http';
import { mediaType, type CompressorFilterConfig, type CompressorPerRoute, type DirectionConfig } from './compressor-config.js';
import { encodingDecision, registerCompressor, type EncodingDecision } from './encoding-decision.js';
import { CompressionStatus, type SkipReason } from './compression-status.js';

/** Transfer codings that mean the body is compressed already. */
const COMPRESSED_CODINGS = new Set(['gzip', 'br', 'deflate', 'compress', 'zstd']);

/**
 * Envoy's compressor filter for one request: it compresses the response body when the client's
 * Accept-Encoding chose this filter's encoding and the response qualifies (enabled, long enough,
 * a listed content type, no `no-transform`, no Content-Encoding yet, the ETag rule), and the
 * request body when `request_direction_config` asks. Each body chunk is taken, compressed and
 * flushed, and injected in its place; trailers first finish the compressed stream.
 */
export class CompressorFilter implements HttpFilter {
  private decoder!: DecoderFilterCallbacks;
  private encoder!: EncoderFilterCallbacks;
  private acceptEncoding: string | undefined;
  private requestCompressor: ChunkCodec | undefined;
  private responseCompressor: ChunkCodec | undefined;

  constructor(
    private readonly config: CompressorFilterConfig,
    private readonly filterConfigName: string,
  ) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.decoder = callbacks;
    registerCompressor(callbacks.requestInfo.filterState, this.config);
  }

  setEncoderFilterCallbacks(callbacks: EncoderFilterCallbacks): void {
    this.encoder = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterResult {
    this.acceptEncoding = headers.get('accept-encoding');
    const perRoute = this.perRoute();
    if (this.responseCompressionEnabled(perRoute) && (perRoute?.removeAcceptEncodingHeader ?? this.config.removeAcceptEncodingHeader)) headers.remove('accept-encoding');

    const request = this.config.request;
    if (
      !endStream &&
      this.config.requestCompression &&
      request.compressionEnabled() &&
      upgradeRequested(headers) === undefined &&
      request.isMinimumContentLength(headers) &&
      request.isContentTypeAllowed(headers) &&
      !headers.has('content-encoding') &&
      this.transferEncodingAllowed(headers)
    ) {
      headers.remove('content-length');
      headers.set('content-encoding', this.config.contentEncoding);
      request.stats.compressed.inc();
      this.requestCompressor = this.config.library.createCompressor();
    } else {
      request.stats.not_compressed.inc();
    }
    return 'continue';
  }

  decodeData(data: Buffer, endStream: boolean): HttpFilterResult {
    const compressor = this.requestCompressor;
    if (!compressor) return 'continue';
    return this.compress(compressor, this.config.request, data, endStream, (out) => this.decoder.injectDecodedDataToFilterChain(out, endStream));
  }

  decodeTrailers(): HttpFilterResult {
    const compressor = this.requestCompressor;
    if (!compressor) return 'continue';
    return this.finishBeforeTrailers(compressor, this.config.request, (out) => this.decoder.injectDecodedDataToFilterChain(out, false));
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterResult {
    const { config } = this;
    const response = config.response;
    const enabled = this.responseCompressionEnabled(this.perRoute());
    // The status header judges first, in its own order (and counts a short body once more, as Envoy).
    const status = config.statusHeaderEnabled && enabled ? new CompressionStatus(config.contentEncoding, this.skipReason(headers)) : undefined;
    const enabledAndLongEnough = enabled && response.isMinimumContentLength(headers);
    const compressible = enabledAndLongEnough && this.responseCompressible(headers);
    // Envoy weighs Accept-Encoding (and counts its verdict) before the other checks, unless the
    // status header already found a reason not to compress.
    const accepted = !endStream && status?.reason === undefined && this.acceptEncodingAllowed(enabledAndLongEnough, headers);
    if (accepted && compressible && this.transferEncodingAllowed(headers)) {
      this.sanitizeEtag(headers);
      status?.compressed(headers.get('content-length'));
      headers.remove('content-length');
      headers.set('content-encoding', config.contentEncoding);
      response.stats.compressed.inc();
      this.responseCompressor = config.library.createCompressor();
    } else {
      response.stats.not_compressed.inc();
    }
    // Even when this client is not served compressed, a cache in front must know another may be.
    if (compressible) insertVary(headers);
    status?.writeTo(headers);
    return 'continue';
  }

  encodeData(data: Buffer, endStream: boolean): HttpFilterResult {
    const compressor = this.responseCompressor;
    if (!compressor) return 'continue';
    return this.compress(compressor, this.config.response, data, endStream, (out) => this.encoder.injectEncodedDataToFilterChain(out, endStream));
  }

  encodeTrailers(): HttpFilterResult {
    const compressor = this.responseCompressor;
    if (!compressor) return 'continue';
    return this.finishBeforeTrailers(compressor, this.config.response, (out) => this.encoder.injectEncodedDataToFilterChain(out, false));
  }

  onDestroy(): void {
    this.requestCompressor?.close();
    this.responseCompressor?.close();
  }

  /** Takes the chunk (`stop`) and injects its compressed bytes once the library has them. */
  private async compress(compressor: ChunkCodec, direction: DirectionConfig, data: Buffer, endStream: boolean, inject: (out: Buffer) => void): Promise<'stop'> {
    direction.stats.total_uncompressed_bytes.inc(data.length);
    const out = await compressor.process(data, endStream);
    direction.stats.total_compressed_bytes.inc(out.length);
    if (out.length > 0 || endStream) inject(out);
    return 'stop';
  }

  /** Trailers end the body: the compressed stream is finished and its last bytes go first. */
  private async finishBeforeTrailers(compressor: ChunkCodec, direction: DirectionConfig, inject: (out: Buffer) => void): Promise<'continue'> {
    const out = await compressor.process(Buffer.alloc(0), true);
    direction.stats.total_compressed_bytes.inc(out.length);
    inject(out);
    return 'continue';
  }

  private perRoute(): CompressorPerRoute | undefined {
    return perFilterConfig<CompressorPerRoute>(this.decoder, this.filterConfigName);
  }

  private responseCompressionEnabled(perRoute: CompressorPerRoute | undefined): boolean {
    return perRoute?.responseCompressionEnabled ?? this.config.response.compressionEnabled();
  }

  /** Envoy's checks after length and Accept-Encoding; only the ETag rule counts what it refuses. */
  private responseCompressible(headers: HeaderMap): boolean {
    const { config } = this;
    if (upgradeRequested(headers) !== undefined || !config.response.isContentTypeAllowed(headers) || hasNoTransform(headers)) return false;
    if (this.etagForbids(headers)) {
      config.responseStats.not_compressed_etag.inc();
      return false;
    }
    return !headers.has('content-encoding') && !config.uncompressibleResponseCodes.has(Number(headers.get(':status')));
  }

  /** `status_header_enabled`'s reason not to compress, in the order Envoy 1.40 reports them. */
  private skipReason(headers: HeaderMap): SkipReason | undefined {
    const { config } = this;
    if (!config.response.isMinimumContentLength(headers)) return 'ContentLengthTooSmall';
    if (!config.response.isContentTypeAllowed(headers)) return 'ContentTypeNotAllowed';
    if (this.etagForbids(headers)) return 'EtagNotAllowed';
    if (config.uncompressibleResponseCodes.has(Number(headers.get(':status')))) return 'StatusCodeNotAllowed';
    return undefined;
  }

  /** `disable_on_etag_header`, unless `weaken_etag_on_compress` (which wins) keeps the ETag usable. */
  private etagForbids(headers: HeaderMap): boolean {
    return this.config.disableOnEtagHeader && !this.config.weakenEtagOnCompress && headers.has('etag');
  }

  /** Whether Accept-Encoding chose this filter; counts how the header decided, once the response may be compressed. */
  private acceptEncodingAllowed(maybeCompress: boolean, headers: HeaderMap): boolean {
    if (!maybeCompress) return false;
    const stats = this.config.responseStats;
    if (this.acceptEncoding === undefined) {
      stats.no_accept_header.inc();
      return false;
    }
    const decision = encodingDecision(this.decoder.requestInfo.filterState, this.acceptEncoding, mediaType(headers));
    return this.countDecision(decision);
  }

  private countDecision(decision: EncodingDecision): boolean {
    const stats = this.config.responseStats;
    const mine = decision.encoding.toLowerCase() === this.config.contentEncoding.toLowerCase();
    switch (decision.stat) {
      case 'ValidCompressor':
        (mine ? stats.header_compressor_used : stats.header_compressor_overshadowed).inc();
        break;
      case 'Identity':
        stats.header_identity.inc();
        break;
      case 'Wildcard':
        stats.header_wildcard.inc();
        break;
      case 'NotValid':
        stats.header_not_valid.inc();
        break;
    }
    return mine;
  }

  private transferEncodingAllowed(headers: HeaderMap): boolean {
    const value = headers.get('transfer-encoding');
    if (value === undefined) return true;
    const mine = this.config.contentEncoding.toLowerCase();
    return !value.split(',').some((coding) => {
      const token = coding.trim().toLowerCase();
      return COMPRESSED_CODINGS.has(token) || token === mine;
    });
  }

  /** A strong ETag no longer names the bytes sent: weakened (`weaken_etag_on_compress`) or removed; weak ones stay. */
  private sanitizeEtag(headers: HeaderMap): void {
    const etag = headers.get('etag');
    if (etag === undefined || /^[wW]\//.test(etag)) return;
    if (this.config.weakenEtagOnCompress) headers.set('etag', `W/${etag}`);
    else headers.remove('etag');
  }
}

/** `vary: Accept-Encoding`, appended unless listed already (compared exactly, as Envoy does). */
function insertVary(headers: HeaderMap): void {
  const vary = headers.get('vary');
  if (vary === undefined) headers.set('vary', 'Accept-Encoding');
  else if (!vary.split(',').some((token) => token.trim() === 'Accept-Encoding')) headers.set('vary', `${vary}, Accept-Encoding`);
}
