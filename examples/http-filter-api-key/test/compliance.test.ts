// The kit's compliance suite: what every HTTP filter must do, run on this one with a valid key.
import t from 'tap';
import { httpFilterCompliance } from '@nodevoy/test-kit';
import { extension } from '../src/index.js';

const TYPE_URL = 'type.googleapis.com/nodevoy.examples.api_key.v1.ApiKey';

httpFilterCompliance(t, {
  extension,
  name: 'api_key',
  typedConfig: { '@type': TYPE_URL, stat_prefix: 'edge', keys: ['letmein'] },
  requestHeaders: { 'x-api-key': 'letmein' },
  badConfigs: [
    { typedConfig: { '@type': TYPE_URL, stat_prefix: 'edge', keys: [] }, error: /typed_config\.keys/ },
    { typedConfig: { '@type': TYPE_URL, keys: ['k'] }, error: /missing required field 'stat_prefix'/ },
  ],
});
