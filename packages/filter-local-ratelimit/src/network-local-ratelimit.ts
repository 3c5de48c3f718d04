import { Category, featureEnabled, runtimeFeatureFlagSchema, schema, type MessageValue, type NetworkFilterFactory, type ServerContext } from '@nodevoy/core';
import { TokenBucket, tokenBucketSchema, type TokenBucketConfig } from './token-bucket.js';

const networkLocalRateLimitSchema = schema.message('envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit', {
  stat_prefix: schema.required(schema.string({ minLen: 1 })),
  token_bucket: schema.required(tokenBucketSchema),
  runtime_enabled: runtimeFeatureFlagSchema,
  share_key: schema.string(),
});
type NetworkLocalRateLimitConfig = MessageValue<typeof networkLocalRateLimitSchema.fields>;

/** Buckets shared by `share_key` (with the same token bucket), per server. */
const sharedBuckets = new WeakMap<ServerContext, Map<string, TokenBucket>>();

function bucketFor(server: ServerContext, config: NetworkLocalRateLimitConfig): TokenBucket {
  if (!config.share_key) return new TokenBucket(config.token_bucket);
  const key = `${config.share_key}\0${JSON.stringify(config.token_bucket satisfies TokenBucketConfig)}`;
  let buckets = sharedBuckets.get(server);
  if (!buckets) sharedBuckets.set(server, (buckets = new Map()));
  let bucket = buckets.get(key);
  if (!bucket) buckets.set(key, (bucket = new TokenBucket(config.token_bucket)));
  return bucket;
}

/**
 * `envoy.filters.network.local_ratelimit`: each new connection takes a token; one that finds
 * none is closed at once, before any filter after this one sees it
 * (`local_rate_limit.<stat_prefix>.rate_limited`). Filter chains with the same `share_key` and
 * token bucket draw from one bucket.
 */
export const networkLocalRateLimit: NetworkFilterFactory<NetworkLocalRateLimitConfig> = {
  name: 'envoy.filters.network.local_ratelimit',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit'],
  configSchema: networkLocalRateLimitSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const { server } = context;
    const bucket = bucketFor(server, config);
    const rateLimited = server.stats.counter(`local_rate_limit.${config.stat_prefix}.rate_limited`);
    return (filterManager) => {
      const connection = filterManager.connection;
      filterManager.addReadFilter({
        onNewConnection() {
          if (!featureEnabled(server.runtime, config.runtime_enabled) || bucket.consume()) return 'continue';
          rateLimited.inc();
          connection.close('NoFlush', 'local_ratelimit_close_over_limit');
          return 'stop';
        },
        onData: () => 'continue',
      });
    };
  },
};
