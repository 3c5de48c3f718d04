import { createStatsSet, extensionPackage, schema, type MessageValue, type NodevoyExtension } from '@nodevoy/core';
import {
  HTTP_FILTER_CATEGORY,
  type DecoderFilterCallbacks,
  type HttpFilter,
  type HttpFilterFactory,
  type HttpFilterStatus,
} from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';

const apiKeySchema = schema.message('nodevoy.examples.api_key.v1.ApiKey', {
  stat_prefix: schema.required(schema.string({ minLen: 1 })),
  /** The keys that may pass. */
  keys: schema.required(schema.repeated(schema.string({ minLen: 1 }), { minItems: 1 })),
  /** The request header that carries the key; default `x-api-key`. */
  header: schema.string({ minLen: 1 }),
});

type ApiKeyConfig = MessageValue<typeof apiKeySchema.fields>;

type ApiKeyStats = ReturnType<typeof createApiKeyStats>;

function createApiKeyStats(scope: Parameters<typeof createStatsSet>[0]) {
  return createStatsSet(scope, { counters: ['allowed', 'denied'] as const });
}

/**
 * Checks one request's key. The lookup is written as a real one would be, asynchronous (an auth
 * service, a cache): the filter stops the chain, then continues it or answers 401.
 */
class ApiKeyFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;

  constructor(
    private readonly header: string,
    private readonly keys: ReadonlySet<string>,
    private readonly stats: ApiKeyStats,
  ) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const key = headers.get(this.header);
    setImmediate(() => {
      if (key !== undefined && this.keys.has(key)) {
        this.stats.allowed.inc();
        // The key is a secret between the client and this proxy: it does not go upstream.
        headers.remove(this.header);
        this.callbacks.continueDecoding();
      } else {
        this.stats.denied.inc();
        this.callbacks.sendLocalReply({
          status: 401,
          body: 'a valid API key is required\n',
          headers: [['www-authenticate', `ApiKey header="${this.header}"`]],
          details: 'api_key_denied',
        });
      }
    });
    return 'stop';
  }
}

/** `nodevoy.examples.api_key`: lets through only requests with a configured API key. */
export const apiKeyFilter: HttpFilterFactory<ApiKeyConfig> = {
  name: 'nodevoy.examples.api_key',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/nodevoy.examples.api_key.v1.ApiKey'],
  configSchema: apiKeySchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const stats = createApiKeyStats(context.server.stats.scope(`api_key.${config.stat_prefix}`));
    const keys = new Set(config.keys);
    const header = (config.header ?? 'x-api-key').toLowerCase();
    return (addFilter) => addFilter(new ApiKeyFilter(header, keys, stats));
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(apiKeyFilter);
  },
};
