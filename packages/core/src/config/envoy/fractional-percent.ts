import type { Runtime } from '../../runtime/runtime.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const { message, uint32, enumOf, string, required, double } = schema;

const DENOMINATORS = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 } as const;

/** `envoy.type.v3.FractionalPercent`: `numerator` out of a hundred, ten thousand or a million. */
export const fractionalPercentSchema = message('envoy.type.v3.FractionalPercent', {
  numerator: uint32(),
  denominator: enumOf('envoy.type.v3.FractionalPercent.DenominatorType', ['HUNDRED', 'TEN_THOUSAND', 'MILLION'] as const),
});
export type FractionalPercentConfig = MessageValue<typeof fractionalPercentSchema.fields>;

/** `envoy.type.v3.Percent`: a share from 0 to 100. */
export const percentSchema = message('envoy.type.v3.Percent', { value: double({ gte: 0, lte: 100 }) });
export type PercentConfig = MessageValue<typeof percentSchema.fields>;

/** `envoy.config.core.v3.RuntimeFractionalPercent`: a percentage the runtime key may override. */
export const runtimeFractionalPercentSchema = message('envoy.config.core.v3.RuntimeFractionalPercent', {
  default_value: required(fractionalPercentSchema),
  runtime_key: string(),
});
export type RuntimeFractionalPercentConfig = MessageValue<typeof runtimeFractionalPercentSchema.fields>;

/**
 * Envoy's `featureEnabled(key, default)`: a random draw under the numerator the runtime key holds
 * (out of the default's denominator), else under the default's.
 */
export function sampled(runtime: Runtime, key: string | undefined, percent: FractionalPercentConfig | undefined): boolean {
  const denominator = DENOMINATORS[percent?.denominator ?? 'HUNDRED'];
  const numerator = key ? runtime.getInteger(key, percent?.numerator ?? 0) : (percent?.numerator ?? 0);
  return Math.random() * denominator < numerator;
}
