// The network compliance suite must catch what it promises to: a suite that passes a broken
// filter is worse than none. Each broken filter below fails the scenarios it breaks, and only those.
import t from 'tap';
import { Category, schema, type Filter, type NetworkFilterFactory, type NodevoyExtension } from '@nodevoy/core';
import { networkFilterCompliance } from '@nodevoy/test-kit';
import { failingScenarios } from './failing-scenarios.js';

const TYPE_URL = 'type.googleapis.com/nodevoy.test_kit.v1.Broken';

function brokenFilter(filter: () => Filter): NodevoyExtension {
  const factory: NetworkFilterFactory = {
    name: 'broken',
    category: Category.networkFilter,
    typeUrls: [TYPE_URL],
    configSchema: schema.empty('nodevoy.test_kit.v1.Broken'),
    isTerminalFilter: false,
    createFilterFactory: () => (manager) => manager.addFilter(filter()),
  };
  return { name: 'broken', coreRange: '^0.1.0', register: (registry) => void registry.add(factory) };
}

const failures = (t: Parameters<typeof failingScenarios>[0], extension: NodevoyExtension, only: RegExp) =>
  failingScenarios(t, (suite) => networkFilterCompliance(suite, { extension, name: 'broken', typedConfig: { '@type': TYPE_URL } }, { waitMs: 1000 }), only);

t.test('a filter that passes everything through passes every scenario', async (t) => {
  const passThrough = brokenFilter(() => ({ onData: () => 'continue', onWrite: () => 'continue' }));
  t.same(await failures(t, passThrough, /./), []);
});

t.test('a filter that swallows the end of stream fails the half-close scenarios', async (t) => {
  const swallowsEnd = brokenFilter(() => ({ onData: (data, end) => (end && data.length === 0 ? 'stop' : 'continue'), onWrite: () => 'continue' }));
  t.same(await failures(t, swallowsEnd, /half-closes first/), [
    'internal listener: the client half-closes first: its end arrives after its data, and the answer still flows',
    'internal listener: the far side half-closes first: the client gets all its data then FIN, and can still send',
    'tcp listener: the client half-closes first: its end arrives after its data, and the answer still flows',
    'tcp listener: the far side half-closes first: the client gets all its data then FIN, and can still send',
  ]);
});

t.test('a filter that loses a byte of each write fails the data scenario', async (t) => {
  const dropsAByte = brokenFilter(() => {
    let callbacks: Parameters<NonNullable<Filter['initializeWriteFilterCallbacks']>>[0];
    return {
      initializeWriteFilterCallbacks: (c) => void (callbacks = c),
      onData: () => 'continue',
      onWrite(data, end) {
        callbacks.injectWriteDataToFilterChain(data.subarray(1), end);
        return 'stop';
      },
    };
  });
  t.same(await failures(t, dropsAByte, /1 MiB each way/), ['internal listener: 1 MiB each way arrives whole and in order', 'tcp listener: 1 MiB each way arrives whole and in order']);
});

t.test('a filter that throws is caught by the boundary, and the suite reports it', async (t) => {
  const throws = brokenFilter(() => ({
    onData(data) {
      if (data.includes('ping')) throw new Error('boom');
      return 'continue';
    },
    onWrite: () => 'continue',
  }));
  t.same(await failures(t, throws, /tcp listener: the client half-closes first/), ['tcp listener: the client half-closes first: its end arrives after its data, and the answer still flows']);
});
