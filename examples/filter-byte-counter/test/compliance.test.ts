// The kit's compliance suite: what every pass-through network filter must do, run on this one.
import t from 'tap';
import { networkFilterCompliance } from '@nodevoy/test-kit';
import { extension } from '../src/index.js';

networkFilterCompliance(t, {
  extension,
  name: 'byte_counter',
  typedConfig: { '@type': 'type.googleapis.com/nodevoy.examples.byte_counter.v1.ByteCounter', stat_prefix: 'edge' },
  badConfigs: [
    { typedConfig: { '@type': 'type.googleapis.com/nodevoy.examples.byte_counter.v1.ByteCounter' }, error: /typed_config: missing required field 'stat_prefix'/ },
    { typedConfig: { '@type': 'type.googleapis.com/nodevoy.examples.byte_counter.v1.ByteCounter', stat_prefix: '' }, error: /typed_config\.stat_prefix/ },
  ],
});
