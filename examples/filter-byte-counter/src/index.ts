import { Category, createStatsSet, extensionPackage, schema, type MessageValue, type NetworkFilterFactory, type NodevoyExtension } from '@nodevoy/core';

const byteCounterSchema = schema.message('nodevoy.examples.byte_counter.v1.ByteCounter', {
  stat_prefix: schema.required(schema.string({ minLen: 1 })),
});

type ByteCounterConfig = MessageValue<typeof byteCounterSchema.fields>;

/**
 * `nodevoy.examples.byte_counter`: a pass-through network filter that counts connections and
 * bytes each way under `byte_counter.<stat_prefix>.*`. Put it before a terminal filter.
 */
export const byteCounterFilter: NetworkFilterFactory<ByteCounterConfig> = {
  name: 'nodevoy.examples.byte_counter',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/nodevoy.examples.byte_counter.v1.ByteCounter'],
  configSchema: byteCounterSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const stats = createStatsSet(context.server.stats.scope(`byte_counter.${config.stat_prefix}`), {
      counters: ['connections', 'rx_bytes', 'tx_bytes'] as const,
    });
    return (filterManager) => {
      stats.connections.inc();
      filterManager.addFilter({
        onData(data) {
          stats.rx_bytes.inc(data.length);
          return 'continue';
        },
        onWrite(data) {
          stats.tx_bytes.inc(data.length);
          return 'continue';
        },
      });
    };
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(byteCounterFilter);
  },
};
