import { extensionPackage, schema, type Counter, type MessageValue, type NodevoyExtension } from '@nodevoy/core';
import {
  HTTP_FILTER_CATEGORY,
  HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  perFilterConfig,
  type DecoderFilterCallbacks,
  type HttpFilter,
  type HttpFilterFactory,
  type HttpFilterRouteConfigFactory,
  type HttpFilterStatus,
} from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';

const NAME = 'envoy.filters.http.buffer';
const bufferSchema = schema.message('envoy.extensions.filters.http.buffer.v3.Buffer', {
  max_request_bytes: schema.required(schema.uint32({ gt: 0 })),
});
type BufferConfig = MessageValue<typeof bufferSchema.fields>;

const bufferPerRouteSchema = schema.message(
  'envoy.extensions.filters.http.buffer.v3.BufferPerRoute',
  { disabled: schema.bool(), buffer: bufferSchema },
  {
    oneofs: [{ fields: ['disabled', 'buffer'], required: true }],
    check(value, report) {
      if (value.disabled === false) report('disabled', 'disabled must be true when given (Envoy: const true)');
    },
  },
);
type BufferPerRouteConfig = MessageValue<typeof bufferPerRouteSchema.fields>;

/** What a request is buffered to: a limit, or nothing on a route that turns buffering off. */
type BufferSettings = { readonly maxRequestBytes: number } | { readonly disabled: true };

/**
 * Envoy's buffer filter for one request: the request is held (headers and body) until its body
 * has arrived whole, then goes on with a Content-Length if it had none; a body past
 * `max_request_bytes` is answered 413 here (`downstream_rq_too_large`).
 */
class BufferFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private headers: HeaderMap | undefined;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private maxRequestBytes = 0;

  constructor(
    private readonly settings: BufferSettings,
    private readonly filterConfigName: string,
    private readonly tooLarge: Counter,
  ) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterStatus {
    if (endStream) return 'continue';
    const settings = perFilterConfig<BufferSettings>(this.callbacks, this.filterConfigName) ?? this.settings;
    if ('disabled' in settings) return 'continue';
    this.maxRequestBytes = settings.maxRequestBytes;
    this.headers = headers;
    return 'stop';
  }

  decodeData(data: Buffer, endStream: boolean): HttpFilterStatus {
    if (!this.headers) return 'continue';
    this.bytes += data.length;
    if (this.bytes > this.maxRequestBytes) {
      this.headers = undefined;
      this.chunks.length = 0;
      this.tooLarge.inc();
      this.callbacks.sendLocalReply({ status: 413, body: 'Payload Too Large', details: 'request_payload_too_large' });
      return 'stop';
    }
    if (data.length > 0) this.chunks.push(data);
    if (endStream) this.release(true);
    return 'stop';
  }

  decodeTrailers(): HttpFilterStatus {
    if (this.headers) this.release(false);
    return 'continue';
  }

  /** The whole body goes on behind the held headers, which now say how long it is. */
  private release(endStream: boolean): void {
    const headers = this.headers as HeaderMap;
    this.headers = undefined;
    if (!headers.has('content-length')) headers.set('content-length', String(this.bytes));
    this.callbacks.injectDecodedDataToFilterChain(Buffer.concat(this.chunks), endStream);
    this.chunks.length = 0;
    this.callbacks.continueDecoding();
  }
}

/** `envoy.filters.http.buffer`. */
export const bufferFilter: HttpFilterFactory<BufferConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer'],
  configSchema: bufferSchema,
  isTerminalFilter: false,
  createFilterFactory(config, _context, statsScope, filterConfigName) {
    const settings: BufferSettings = { maxRequestBytes: config.max_request_bytes };
    const tooLarge = statsScope.counter('downstream_rq_too_large');
    return (addFilter) => addFilter(new BufferFilter(settings, filterConfigName, tooLarge));
  },
};

/** `BufferPerRoute`: off for a route, or its own limit. */
export const bufferRouteConfig: HttpFilterRouteConfigFactory<BufferPerRouteConfig, BufferSettings> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute'],
  configSchema: bufferPerRouteSchema,
  createRouteSpecificFilterConfig: (config) => (config.buffer ? { maxRequestBytes: config.buffer.max_request_bytes } : { disabled: true }),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(bufferFilter).add(bufferRouteConfig);
  },
};
