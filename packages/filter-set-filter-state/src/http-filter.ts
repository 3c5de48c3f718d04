import { schema, type MessageValue } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type DecoderFilterCallbacks, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';
import { filterStateSetter, filterStateValueSchema } from './filter-state-value.js';

const httpConfigSchema = schema.message('envoy.extensions.filters.http.set_filter_state.v3.Config', {
  on_request_headers: schema.repeated(filterStateValueSchema),
});

/** `envoy.filters.http.set_filter_state`: sets the request's filter state from its headers. */
export const httpSetFilterState: HttpFilterFactory<MessageValue<typeof httpConfigSchema.fields>> = {
  name: 'envoy.filters.http.set_filter_state',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.set_filter_state.v3.Config'],
  configSchema: httpConfigSchema,
  isTerminalFilter: false,
  createFilterFactory(config) {
    const setters = (config.on_request_headers ?? []).map(filterStateSetter);
    return (addFilter) => {
      let callbacks: DecoderFilterCallbacks;
      addFilter({
        setDecoderFilterCallbacks(c) {
          callbacks = c;
        },
        decodeHeaders(headers: HeaderMap) {
          const connection = callbacks.connection;
          const info = callbacks.requestInfo;
          const context = { localAddress: connection.localAddress, remoteAddress: connection.remoteAddress, info, requestHeaders: headers };
          for (const setter of setters) setter.apply(info.filterState, context);
          return 'continue';
        },
      });
    };
  },
};
