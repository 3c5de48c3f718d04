import { Category, extensionPackage, schema, type MessageValue, type NodevoyExtension, type ResourceMonitorFactory } from '@nodevoy/core';

const bufferedBytesSchema = schema.message('nodevoy.extensions.resource_monitors.buffered_bytes.v1.BufferedBytesConfig', {
  /** The budget: pressure is the bytes held in buffers over this. */
  max_buffered_bytes: schema.required(schema.uint64({ gte: 1 })),
});

export type BufferedBytesConfig = MessageValue<typeof bufferedBytesSchema.fields>;

/**
 * `nodevoy.resource_monitors.buffered_bytes`: the pressure of a process-wide buffer budget,
 * the bytes every connection and internal hop holds (write buffers, in-process pair buffers,
 * data a paused filter keeps) over `max_buffered_bytes`. It watches the server's buffer
 * account, so an overload action triggered by it takes effect on the write that crosses its
 * threshold, not at the next poll.
 */
export const bufferedBytesMonitor: ResourceMonitorFactory<BufferedBytesConfig> = {
  name: 'nodevoy.resource_monitors.buffered_bytes',
  category: Category.resourceMonitor,
  typeUrls: ['type.googleapis.com/nodevoy.extensions.resource_monitors.buffered_bytes.v1.BufferedBytesConfig'],
  configSchema: bufferedBytesSchema,
  createResourceMonitor(config, { bufferAccount }) {
    const max = config.max_buffered_bytes;
    return {
      pressure: () => bufferAccount.heldBytes / max,
      watch: (pressures, onChange) => bufferAccount.watch(pressures.map((p) => p * max), onChange),
    };
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(bufferedBytesMonitor);
  },
};
