import { Category, schema, type MessageValue, type NetworkFilterFactory } from '@nodevoy/core';
import { filterStateSetter, filterStateValueSchema } from './filter-state-value.js';

const networkConfigSchema = schema.message('envoy.extensions.filters.network.set_filter_state.v3.Config', {
  on_new_connection: schema.repeated(filterStateValueSchema),
});

/** `envoy.filters.network.set_filter_state`: sets connection filter state when a connection opens. */
export const networkSetFilterState: NetworkFilterFactory<MessageValue<typeof networkConfigSchema.fields>> = {
  name: 'envoy.filters.network.set_filter_state',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.network.set_filter_state.v3.Config'],
  configSchema: networkConfigSchema,
  isTerminalFilter: false,
  createFilterFactory(config) {
    const setters = (config.on_new_connection ?? []).map(filterStateSetter);
    return (filterManager) => {
      const connection = filterManager.connection;
      filterManager.addReadFilter({
        onNewConnection() {
          const context = { localAddress: connection.localAddress, remoteAddress: connection.remoteAddress, info: connection.info };
          for (const setter of setters) setter.apply(connection.info.filterState, context);
          return 'continue';
        },
        onData: () => 'continue',
      });
    };
  },
};
