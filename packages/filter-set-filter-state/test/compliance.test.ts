// The test kit's compliance suites on both set_filter_state filters: what every network filter
// and every HTTP filter must do.
import t from 'tap';
import { httpFilterCompliance, networkFilterCompliance } from '@nodevoy/test-kit';

const NETWORK_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.set_filter_state.v3.Config';
const HTTP_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.set_filter_state.v3.Config';
const clientAddress = [{ object_key: 'client', format_string: { text_format: '%DOWNSTREAM_REMOTE_ADDRESS%' } }];

t.test('envoy.filters.network.set_filter_state', async (t) => {
  networkFilterCompliance(t, {
    name: 'envoy.filters.network.set_filter_state',
    typedConfig: { '@type': NETWORK_TYPE, on_new_connection: clientAddress },
    badConfigs: [
      {
        typedConfig: { '@type': NETWORK_TYPE, on_new_connection: [{ object_key: 'x', format_string: { text_format: '%NO_SUCH_THING%' } }] },
        error: /typed_config\.on_new_connection\[0\]\.format_string: Not supported field in StreamInfo: NO_SUCH_THING/,
      },
    ],
  });
});

t.test('envoy.filters.http.set_filter_state', async (t) => {
  httpFilterCompliance(t, {
    name: 'envoy.filters.http.set_filter_state',
    typedConfig: { '@type': HTTP_TYPE, on_request_headers: clientAddress },
    badConfigs: [
      {
        typedConfig: { '@type': HTTP_TYPE, on_request_headers: [{ format_string: { text_format: 'x' } }] },
        error: /typed_config\.on_request_headers\[0\]/,
      },
    ],
  });
});
