// A network filter factory is extension code too: when its per-connection callback throws, that
// connection closes (logged) and the listener goes on accepting and serving.
import { Category, schema, type NetworkFilterFactory, type NodevoyExtension } from '@nodevoy/core';
import t from 'tap';
import { ADMIN, collect, connectTo, startInProcess, tcpListener } from '@nodevoy/test-kit';

let connections = 0;
const throwsOnFirst: NetworkFilterFactory = {
  name: 'nodevoy.test.throws_on_first',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/nodevoy.test.v1.ThrowsOnFirst'],
  configSchema: schema.message('nodevoy.test.v1.ThrowsOnFirst', {}),
  isTerminalFilter: false,
  createFilterFactory: () => () => {
    if (++connections === 1) throw new Error('factory threw for the first connection');
  },
};
const extension: NodevoyExtension = { name: 'throws-on-first', coreRange: '^0.1.0', register: (registry) => void registry.add(throwsOnFirst) };

t.test('a throwing network filter factory closes its connection only', async (t) => {
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'echo',
  `    filter_chains:
    - filters:
      - name: throws
        typed_config: { "@type": type.googleapis.com/nodevoy.test.v1.ThrowsOnFirst }
      - name: echo
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo }
`,
)}  clusters: []
`,
    [extension],
  );
  const port = proxy.port('echo');
  const first = await connectTo(t, port);
  const firstReceived = collect(first);
  first.write('lost');
  t.equal((await firstReceived).data.length, 0, 'the first connection is closed, nothing echoed');
  t.match(proxy.logs.join('\n'), /filter threw in filter factory, closing: factory threw for the first connection/);

  const second = await connectTo(t, port);
  const received = collect(second);
  second.end('still serving');
  t.equal((await received).data.toString(), 'still serving');
});
