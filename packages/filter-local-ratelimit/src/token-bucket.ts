import { schema, type MessageValue } from '@nodevoy/core';

/** `envoy.type.v3.TokenBucket`. */
export const tokenBucketSchema = schema.message('envoy.type.v3.TokenBucket', {
  max_tokens: schema.required(schema.uint32({ gt: 0 })),
  tokens_per_fill: schema.uint32({ gt: 0 }),
  fill_interval: schema.required(schema.duration({ gtMs: 0 })),
});
export type TokenBucketConfig = MessageValue<typeof tokenBucketSchema.fields>;

/**
 * Envoy's token bucket (its atomic, time-based one): it starts full, refills continuously at
 * `tokens_per_fill` every `fill_interval` up to `max_tokens`, and a request takes one token.
 */
export class TokenBucket {
  readonly maxTokens: number;
  private readonly tokensPerMs: number;
  private tokens: number;
  private refilledAt: number;

  constructor(config: TokenBucketConfig, private readonly now: () => number = () => performance.now()) {
    this.maxTokens = config.max_tokens;
    this.tokensPerMs = (config.tokens_per_fill ?? 1) / config.fill_interval;
    this.tokens = config.max_tokens;
    this.refilledAt = now();
  }

  consume(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** `x-ratelimit-remaining`: whole tokens left. */
  remaining(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** `x-ratelimit-reset`: whole seconds until a token is there (0 when one is). */
  resetSeconds(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.tokensPerMs / 1000);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.maxTokens, this.tokens + (now - this.refilledAt) * this.tokensPerMs);
    this.refilledAt = now;
  }
}
