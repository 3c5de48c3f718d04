import type { Connection, ConnectionInfo, RequestInfo } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import type { StreamItem } from './filter-iteration.js';
import type { DecoderFilterCallbacks, EncoderFilterCallbacks, HttpFilter, LocalReply } from './http-filter.js';
import type { ResolvedRoute } from './routing/route-table.js';
import type { RequestTracing } from './tracing/request-tracing.js';

/** What a filter's callbacks need of its stream, besides the interfaces' own members. */
type Injections = 'injectDecodedDataToFilterChain' | 'addDecodedTrailers' | 'injectEncodedDataToFilterChain' | 'addEncodedTrailers';

export interface FilterCallbackStream extends Omit<DecoderFilterCallbacks & EncoderFilterCallbacks, Injections> {
  /** `item` goes on to the filters after `from`, in that direction. */
  inject(direction: 'decode' | 'encode', from: HttpFilter, item: StreamItem): void;
}

/**
 * One filter's view of its stream (Envoy's ActiveStreamDecoderFilter / EncoderFilter): the
 * stream's callbacks, plus injection, which needs to know where in the chain the filter sits.
 */
export class FilterCallbacks implements DecoderFilterCallbacks, EncoderFilterCallbacks {
  constructor(
    private readonly stream: FilterCallbackStream,
    private readonly filter: HttpFilter,
  ) {}

  get connection(): Connection {
    return this.stream.connection;
  }

  get connectionInfo(): ConnectionInfo {
    return this.stream.connectionInfo;
  }

  get requestInfo(): RequestInfo {
    return this.stream.requestInfo;
  }

  get streamId(): number {
    return this.stream.streamId;
  }

  get protocol(): string {
    return this.stream.protocol;
  }

  get tunnelHalfCloses(): boolean {
    return this.stream.tunnelHalfCloses;
  }

  route(): ResolvedRoute | undefined {
    return this.stream.route();
  }

  get tracing(): RequestTracing | undefined {
    return this.stream.tracing;
  }

  clearRouteCache(): void {
    this.stream.clearRouteCache();
  }

  continueDecoding(): void {
    this.stream.continueDecoding();
  }

  continueEncoding(): void {
    this.stream.continueEncoding();
  }

  sendLocalReply(reply: LocalReply): void {
    this.stream.sendLocalReply(reply);
  }

  encodeContinue(): void {
    this.stream.encodeContinue();
  }

  encodeHeaders(headers: HeaderMap, endStream: boolean): void {
    this.stream.encodeHeaders(headers, endStream);
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    return this.stream.encodeData(data, endStream);
  }

  encodeTrailers(trailers: HeaderMap): void {
    this.stream.encodeTrailers(trailers);
  }

  onDownstreamWritable(callback: () => void): void {
    this.stream.onDownstreamWritable(callback);
  }

  readDisable(disable: boolean): void {
    this.stream.readDisable(disable);
  }

  resetStream(): void {
    this.stream.resetStream();
  }

  injectDecodedDataToFilterChain(data: Buffer, endStream: boolean): void {
    this.stream.inject('decode', this.filter, { kind: 'data', data, endStream });
  }

  addDecodedTrailers(trailers: HeaderMap): void {
    this.stream.inject('decode', this.filter, { kind: 'trailers', trailers });
  }

  injectEncodedDataToFilterChain(data: Buffer, endStream: boolean): void {
    this.stream.inject('encode', this.filter, { kind: 'data', data, endStream });
  }

  addEncodedTrailers(trailers: HeaderMap): void {
    this.stream.inject('encode', this.filter, { kind: 'trailers', trailers });
  }
}
