import type { ChunkCodec } from '@nodevoy/core';
import type { DecoderFilterCallbacks, EncoderFilterCallbacks, HttpFilter, HttpFilterResult } from '@nodevoy/filter-http-connection-manager';
import { HeaderMap, hasNoTransform } from '@nodevoy/http';
import type { DecompressorFilterConfig, DirectionConfig } from './decompressor-config.js';
import { addEncodingToAcceptEncoding, contentEncodingMatches, removeFirstContentEncoding } from './encoding-headers.js';

/** One direction's decoding: its codec and the bytes it has seen, for the trailers. */
class Decoding {
  compressedBytes = 0;
  uncompressedBytes = 0;

  constructor(
    readonly codec: ChunkCodec,
    readonly config: DirectionConfig,
  ) {}
}

type Inject = (data: Buffer) => void;

/**
 * Envoy's decompressor filter for one request: a request or response whose first
 * Content-Encoding is the library's is decoded as it streams (Content-Length and that coding
 * removed), unless `Cache-Control: no-transform` forbids it; requests advertise the encoding in
 * Accept-Encoding. Each body ends with trailers giving the bytes before and after
 * (`x-envoy-decompressor-<library name>-[un]compressed-bytes`), as Envoy adds them.
 */
export class DecompressorFilter implements HttpFilter {
  private decoder!: DecoderFilterCallbacks;
  private encoder!: EncoderFilterCallbacks;
  private request: Decoding | undefined;
  private response: Decoding | undefined;

  constructor(private readonly config: DecompressorFilterConfig) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.decoder = callbacks;
  }

  setEncoderFilterCallbacks(callbacks: EncoderFilterCallbacks): void {
    this.encoder = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterResult {
    const { config } = this;
    if (config.response.enabled() && config.advertiseAcceptEncoding) {
      headers.set('accept-encoding', addEncodingToAcceptEncoding(headers.get('accept-encoding') ?? '', config.library.contentEncoding));
    }
    if (!endStream) this.request = this.maybeDecode(config.request, headers);
    return 'continue';
  }

  decodeData(data: Buffer, endStream: boolean): HttpFilterResult {
    const decoding = this.request;
    if (!decoding) return 'continue';
    return this.decode(decoding, data, endStream, (out) => this.decoder.injectDecodedDataToFilterChain(out, false), (trailers) => this.decoder.addDecodedTrailers(trailers));
  }

  decodeTrailers(trailers: HeaderMap): HttpFilterResult {
    if (this.request) this.reportBytes(this.request, trailers);
    return 'continue';
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterResult {
    if (!endStream) this.response = this.maybeDecode(this.config.response, headers);
    return 'continue';
  }

  encodeData(data: Buffer, endStream: boolean): HttpFilterResult {
    const decoding = this.response;
    if (!decoding) return 'continue';
    return this.decode(decoding, data, endStream, (out) => this.encoder.injectEncodedDataToFilterChain(out, false), (trailers) => this.encoder.addEncodedTrailers(trailers));
  }

  encodeTrailers(trailers: HeaderMap): HttpFilterResult {
    if (this.response) this.reportBytes(this.response, trailers);
    return 'continue';
  }

  onDestroy(): void {
    this.request?.codec.close();
    this.response?.codec.close();
  }

  private maybeDecode(direction: DirectionConfig, headers: HeaderMap): Decoding | undefined {
    const decode =
      direction.enabled() &&
      (!hasNoTransform(headers) || direction.ignoreNoTransformHeader) &&
      contentEncodingMatches(headers, this.config.library.contentEncoding);
    if (!decode) {
      direction.stats.not_decompressed.inc();
      return undefined;
    }
    direction.stats.decompressed.inc();
    headers.remove('content-length');
    removeFirstContentEncoding(headers);
    return new Decoding(this.config.createDecompressor(), direction);
  }

  /** Takes the chunk and injects what it decodes to; the last one brings the byte-count trailers. */
  private async decode(decoding: Decoding, data: Buffer, endStream: boolean, inject: Inject, addTrailers: (trailers: HeaderMap) => void): Promise<'stop'> {
    const out = await decoding.codec.process(data, false);
    decoding.compressedBytes += data.length;
    decoding.uncompressedBytes += out.length;
    decoding.config.stats.total_compressed_bytes.inc(data.length);
    decoding.config.stats.total_uncompressed_bytes.inc(out.length);
    if (out.length > 0) inject(out);
    if (endStream) {
      const trailers = new HeaderMap();
      this.reportBytes(decoding, trailers);
      addTrailers(trailers);
    }
    return 'stop';
  }

  private reportBytes(decoding: Decoding, trailers: HeaderMap): void {
    trailers.add(this.config.compressedBytesTrailer, String(decoding.compressedBytes));
    trailers.add(this.config.uncompressedBytesTrailer, String(decoding.uncompressedBytes));
  }
}
