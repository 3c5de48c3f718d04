import assert from 'node:assert/strict';
import { ConfigError, loadBootstrapConfig, type NodevoyExtension } from '@nodevoy/core';
import { createBundledRegistry } from '@nodevoy/cli';
import type { TestLike } from '../test-like.js';

/** A filter as a compliance suite runs it: its extension and its filter-chain entry. */
export interface FilterUnderTest {
  /** The extension that registers the filter; leave it out for one nodevoy bundles. */
  readonly extension?: NodevoyExtension;
  /** The entry's `name`, as a config would give it. */
  readonly name: string;
  /** The entry's `typed_config`, `@type` included: a config under which the filter lets traffic through. */
  readonly typedConfig: Readonly<Record<string, unknown>>;
  /** Typed configs the filter must refuse, each with what its error must say (its field path). */
  readonly badConfigs?: readonly BadConfig[];
}

export interface BadConfig {
  readonly typedConfig: Readonly<Record<string, unknown>>;
  readonly error: RegExp;
}

/**
 * What a suite needs of a test runner: subtests whose test objects register cleanup. tap's `t`
 * fits; so does any runner whose subtest function gets an object with `teardown`. The suites
 * assert with `node:assert`, so a failed check throws in its subtest.
 */
export interface SuiteLike {
  test(name: string, fn: (t: TestLike) => Promise<void>): unknown;
}

export interface ComplianceOptions {
  /** How long a scenario waits for what it expects before it fails; default 10 s. */
  readonly waitMs?: number;
}

/** The filter's entry as YAML (flow style: JSON is YAML), indented for a `filters:` list. */
export function filterEntryYaml(name: string, typedConfig: Readonly<Record<string, unknown>>, indent: number): string {
  const pad = ' '.repeat(indent);
  return `${pad}- name: ${JSON.stringify(name)}\n${pad}  typed_config: ${JSON.stringify(typedConfig)}\n`;
}

/**
 * Every filter refuses a typed config it does not understand, naming the field, and each of the
 * filter's own bad configs with the error it declares. `configFor` places a typed config in a
 * whole bootstrap where the filter would run, with the harness's own `harnessExtensions`.
 */
export function checkBadConfigs(
  t: SuiteLike,
  filter: FilterUnderTest,
  configFor: (typedConfig: Readonly<Record<string, unknown>>) => string,
  harnessExtensions: readonly NodevoyExtension[] = [],
): void {
  const refused = (typedConfig: Readonly<Record<string, unknown>>): string => {
    const registry = createBundledRegistry();
    for (const extension of [...(filter.extension ? [filter.extension] : []), ...harnessExtensions]) registry.use(extension);
    try {
      loadBootstrapConfig({ yaml: configFor(typedConfig) }, registry);
    } catch (err) {
      assert.ok(err instanceof ConfigError, `a bad config must fail with a ConfigError, not ${String(err)}`);
      return err.message;
    }
    assert.fail(`the config was accepted: ${JSON.stringify(typedConfig)}`);
  };
  t.test('refuses an unknown typed_config field, naming its path', async () => {
    const message = refused({ ...filter.typedConfig, nodevoy_test_kit_unknown_field: 1 });
    assert.match(message, /typed_config\.nodevoy_test_kit_unknown_field/);
  });
  for (const [i, bad] of (filter.badConfigs ?? []).entries()) {
    t.test(`refuses bad config ${i + 1} with its own error`, async () => {
      assert.match(refused(bad.typedConfig), bad.error);
    });
  }
}

/** Log lines that say a filter threw across its boundary: a compliant filter never does. */
export function assertNoFilterThrew(logs: readonly string[]): void {
  const threw = logs.filter((line) => / threw/.test(line));
  assert.deepEqual(threw, [], 'the filter threw across its boundary');
}
