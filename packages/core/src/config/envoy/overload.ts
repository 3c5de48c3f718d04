import { Category } from '../../registry/categories.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const { message, string, repeated, required, double, duration } = schema;

const thresholdTriggerSchema = message('envoy.config.overload.v3.ThresholdTrigger', {
  value: double({ gte: 0, lte: 1 }),
});

const scaledTriggerSchema = message('envoy.config.overload.v3.ScaledTrigger', {
  scaling_threshold: double({ gte: 0, lte: 1 }),
  saturation_threshold: double({ gte: 0, lte: 1 }),
});

const triggerSchema = message(
  'envoy.config.overload.v3.Trigger',
  { name: required(string({ minLen: 1 })), threshold: thresholdTriggerSchema, scaled: scaledTriggerSchema },
  { oneofs: [{ fields: ['threshold', 'scaled'], required: true }] },
);

const overloadActionSchema = message(
  'envoy.config.overload.v3.OverloadAction',
  { name: required(string({ minLen: 1 })), triggers: repeated(triggerSchema, { minItems: 1 }) },
  { unsupported: { typed_config: 'no action nodevoy implements takes a typed_config' } },
);

export const overloadManagerSchema = message(
  'envoy.config.overload.v3.OverloadManager',
  {
    refresh_interval: duration(),
    resource_monitors: repeated(schema.extensionEntry('envoy.config.overload.v3.ResourceMonitor', Category.resourceMonitor)),
    actions: repeated(overloadActionSchema),
  },
  { unsupported: { buffer_factory_config: 'per-stream buffer accounting is not implemented by nodevoy', loadshed_points: 'not implemented by nodevoy yet' } },
);

export type OverloadManagerConfig = MessageValue<typeof overloadManagerSchema.fields>;
export type OverloadActionConfig = OverloadManagerConfig['actions'] extends (infer A)[] | undefined ? A : never;
