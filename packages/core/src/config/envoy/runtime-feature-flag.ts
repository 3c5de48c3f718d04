import type { Runtime } from '../../runtime/runtime.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const { message, bool, string, required } = schema;

/** `envoy.config.core.v3.RuntimeFeatureFlag`: on or off by default, and the runtime key that may say otherwise. */
export const runtimeFeatureFlagSchema = message('envoy.config.core.v3.RuntimeFeatureFlag', {
  default_value: required(bool()),
  runtime_key: required(string({ minLen: 1 })),
});
export type RuntimeFeatureFlagConfig = MessageValue<typeof runtimeFeatureFlagSchema.fields>;

/** Envoy's `Runtime::FeatureFlag::enabled()`; a flag left out of the config is `unset`. */
export function featureEnabled(runtime: Runtime, flag: RuntimeFeatureFlagConfig | undefined, unset = true): boolean {
  if (flag === undefined) return unset;
  return runtime.getBoolean(flag.runtime_key, flag.default_value);
}
