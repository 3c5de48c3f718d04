// The HTTP compliance suite must catch what it promises to: each broken filter below fails the
// scenarios it breaks, and a filter that does its job passes them all.
import t from 'tap';
import { schema, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, type HttpFilter, type HttpFilterFactory } from '@nodevoy/filter-http-connection-manager';
import { httpFilterCompliance } from '@nodevoy/test-kit';
import { failingScenarios } from './failing-scenarios.js';

const TYPE_URL = 'type.googleapis.com/nodevoy.test_kit.v1.BrokenHttp';

function brokenFilter(filter: () => HttpFilter): NodevoyExtension {
  const factory: HttpFilterFactory = {
    name: 'broken',
    category: HTTP_FILTER_CATEGORY,
    typeUrls: [TYPE_URL],
    configSchema: schema.empty('nodevoy.test_kit.v1.BrokenHttp'),
    isTerminalFilter: false,
    createFilterFactory: () => (addFilter) => addFilter(filter()),
  };
  return { name: 'broken', coreRange: '^0.1.0', register: (registry) => void registry.add(factory) };
}

const failures = (t: Parameters<typeof failingScenarios>[0], extension: NodevoyExtension, only: RegExp) =>
  failingScenarios(t, (suite) => httpFilterCompliance(suite, { extension, name: 'broken', typedConfig: { '@type': TYPE_URL } }, { waitMs: 1000 }), only);

t.test('a filter that decides asynchronously and lets everything through passes every scenario', async (t) => {
  const asyncPass = brokenFilter(() => ({ decodeHeaders: () => new Promise((resolve) => setImmediate(() => resolve('continue'))) }));
  t.same(await failures(t, asyncPass, /./), []);
});

t.test('a filter that throws on response data fails the scenarios with a response body', async (t) => {
  const throwsOnBody = brokenFilter(() => ({
    encodeData() {
      throw new Error('boom');
    },
  }));
  t.same(await failures(t, throwsOnBody, /GET is answered|1 MiB body/), ['HTTP/1.1: a 1 MiB body goes up and comes back whole', 'HTTP/1.1: a GET is answered through the filter']);
});

t.test('a filter that takes the request body and never passes it on fails the echoes', async (t) => {
  const eatsBody = brokenFilter(() => ({ decodeData: () => 'stop' }));
  t.same(await failures(t, eatsBody, /echo|1 MiB body/), ['HTTP/1.1: a 1 MiB body goes up and comes back whole', 'HTTP/2: a GET and a 1 MiB echo on one connection']);
});

t.test('a filter that holds a request and never continues it fails', async (t) => {
  const neverContinues = brokenFilter(() => ({ decodeHeaders: () => 'stop' }));
  t.same(await failures(t, neverContinues, /GET is answered/), ['HTTP/1.1: a GET is answered through the filter']);
});
