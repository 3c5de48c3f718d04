import { extensionPackage, schema, type DynamicMetadata, type NodevoyExtension } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import { HTTP_FILTER_CATEGORY, type DecoderFilterCallbacks, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';

const reportSchema = schema.empty('nodevoy.examples.passthrough_report.v1.PassthroughReport');

function plain(metadata: DynamicMetadata): Record<string, unknown> {
  return Object.fromEntries(metadata);
}

/**
 * `nodevoy.examples.passthrough_report`: an HTTP filter that answers every request itself with
 * JSON of what it found: the listener address it was reached on, and the dynamic metadata and
 * filter state of its connection and of the request itself. Put on an internal listener, it
 * shows what an `internal_upstream` transport socket carried across the hop.
 */
export const passthroughReportFilter: HttpFilterFactory = {
  name: 'nodevoy.examples.passthrough_report',
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/nodevoy.examples.passthrough_report.v1.PassthroughReport'],
  configSchema: reportSchema,
  isTerminalFilter: false,
  createFilterFactory() {
    return (addFilter) => {
      let callbacks: DecoderFilterCallbacks;
      addFilter({
        setDecoderFilterCallbacks(c) {
          callbacks = c;
        },
        decodeHeaders(headers: HeaderMap) {
          const { connection, requestInfo } = callbacks;
          const report = {
            local_address: connection.localAddress.asString,
            header_names: [...headers].map(([name]) => name),
            connection: { dynamic_metadata: plain(connection.info.dynamicMetadata), filter_state: Object.fromEntries(connection.info.filterState.entries()) },
            request: { dynamic_metadata: plain(requestInfo.dynamicMetadata), filter_state: Object.fromEntries(requestInfo.filterState.entries()) },
          };
          callbacks.sendLocalReply({
            status: 200,
            body: `${JSON.stringify(report)}\n`,
            headers: [['content-type', 'application/json']],
            details: 'passthrough_report',
          });
          return 'stop';
        },
      });
    };
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(passthroughReportFilter);
  },
};
