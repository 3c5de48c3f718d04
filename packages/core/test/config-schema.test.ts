// proto3-JSON rules of the config reader, and the registry that typed_config dispatches on.
import t from 'tap';
import {
  Category,
  ConfigError,
  DuplicateExtensionError,
  ExtensionLoadError,
  ExtensionRegistry,
  INVALID,
  ParseContext,
  type TypedConfig,
  parseBootstrapTree,
  parseConfigText,
  schema,
  type NetworkFilterFactory,
} from '@nodevoy/core';

const sample = schema.message('test.Sample', {
  stat_prefix: schema.required(schema.string({ minLen: 1 })),
  timeout: schema.duration(),
  limit: schema.uint32({ lte: 100 }),
  mode: schema.enumOf('test.Mode', ['FIRST', 'SECOND'] as const),
  flag: schema.bool(),
});

const sampleFilter: NetworkFilterFactory = {
  name: 'test.sample',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/test.Sample'],
  configSchema: sample,
  isTerminalFilter: true,
  createFilterFactory: () => () => {},
};

function parse(yaml: string) {
  const registry = new ExtensionRegistry().add(sampleFilter);
  const ctx = new ParseContext(registry);
  const value = schema.typedConfig(Category.networkFilter).parse(parseConfigText(yaml, 'test.yaml'), 'typed_config', ctx);
  return { value, config: value === INVALID ? INVALID : (value as TypedConfig).config, issues: ctx.issues };
}

t.test('snake_case and lowerCamelCase names, durations, wrappers as numbers, enums by name or number', async (t) => {
  const { value, config, issues } = parse(`
"@type": type.googleapis.com/test.Sample
statPrefix: edge
timeout: 0.25s
limit: "42"
mode: 1
flag: true
`);
  t.same(issues, []);
  t.not(value, INVALID);
  t.same(config, { stat_prefix: 'edge', timeout: 250, limit: 42, mode: 'SECOND', flag: true });
});

t.test('a field given in both spellings is an error', async (t) => {
  const { issues } = parse(`"@type": type.googleapis.com/test.Sample\nstat_prefix: a\nstatPrefix: b\n`);
  t.match(issues[0]?.message, /field 'stat_prefix' is given twice \(as 'stat_prefix' and 'statPrefix'\)/);
});

t.test('null means unset, as in proto3 JSON', async (t) => {
  const { config, issues } = parse(`"@type": type.googleapis.com/test.Sample\nstat_prefix: a\ntimeout: null\n`);
  t.same(issues, []);
  t.same(config, { stat_prefix: 'a' });
  // Unset is unset for a required field too (found by the config fuzzer: a later stage read it).
  const required = parse(`"@type": type.googleapis.com/test.Sample\nstat_prefix: null\n`);
  t.equal(required.value, INVALID);
  t.match(required.issues[0], { path: 'typed_config', message: "missing required field 'stat_prefix' in Sample" });
});

t.test('errors name the path and the line:col, and range rules use Envoy words', async (t) => {
  const { issues } = parse(`"@type": type.googleapis.com/test.Sample\nstat_prefix: ""\nlimit: 101\nmode: THIRD\ntimeout: 5m\n`);
  const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
  t.match(byPath['typed_config.stat_prefix']?.message, 'value length must be at least 1 characters');
  t.same(byPath['typed_config.stat_prefix']?.position, { file: 'test.yaml', line: 2, col: 14 });
  t.match(byPath['typed_config.limit']?.message, 'value must be less than or equal to 100');
  t.match(byPath['typed_config.mode']?.message, /invalid value string "THIRD" for enum test\.Mode/);
  t.match(byPath['typed_config.mode']?.hint, 'one of FIRST, SECOND');
  t.match(byPath['typed_config.timeout']?.message, /invalid duration "5m"/);
});

t.test('TypedStruct wraps any typed config (udpa and xds URLs)', async (t) => {
  for (const url of ['type.googleapis.com/udpa.type.v1.TypedStruct', 'type.googleapis.com/xds.type.v3.TypedStruct']) {
    const { config, issues } = parse(`"@type": ${url}\ntype_url: type.googleapis.com/test.Sample\nvalue:\n  stat_prefix: wrapped\n`);
    t.same(issues, [], url);
    t.same(config, { stat_prefix: 'wrapped' });
  }
});

t.test('a typed config in the wrong category says what it is', async (t) => {
  const registry = new ExtensionRegistry().add(sampleFilter);
  const ctx = new ParseContext(registry);
  schema.typedConfig(Category.transportSocket).parse(parseConfigText('"@type": type.googleapis.com/test.Sample\n', 'x'), 'ts', ctx);
  t.match(ctx.issues[0]?.message, "'type.googleapis.com/test.Sample' is test.sample, a envoy.filters.network extension, which cannot be used as a envoy.transport_sockets extension");
});

t.test('unknown bootstrap fields, known-but-unsupported fields and ignored knobs', async (t) => {
  const registry = new ExtensionRegistry();
  const tree = parseConfigText('statsFlushInterval: 5s\nwatchdogs: {}\nhds_config: {}\nmystery: 1\n', 'b.yaml');
  const error = t.throws(() => parseBootstrapTree(tree, registry)) as ConfigError;
  t.ok(error instanceof ConfigError);
  t.same(
    error.issues.map((i) => i.path),
    ['hds_config', 'mystery'],
    'stats_flush_interval and watchdogs are accepted no-ops',
  );
  t.match(error.issues[0]?.message, "field 'hds_config' of Bootstrap is not supported by nodevoy");
  t.match(error.issues[0]?.hint, 'not implemented by nodevoy yet');
});

t.test('--config-yaml merges like protobuf MergeFrom: maps merge, lists append, scalars replace', async (t) => {
  const { mergeConfig, toPlain } = await import('@nodevoy/core');
  const base = parseConfigText('a: {x: 1, y: 2}\nlist: [1]\nname: old\n', 'base');
  const overlay = parseConfigText('a: {y: 3}\nlist: [2]\nname: new\n', 'overlay');
  t.same(toPlain(mergeConfig(base, overlay)), { a: { x: 1, y: 3 }, list: [1, 2], name: 'new' });
});

t.test('the registry refuses a second claimant and extensions built for another core', async (t) => {
  const registry = new ExtensionRegistry().add(sampleFilter);
  registry.add(sampleFilter); // the same factory again is a no-op
  t.throws(() => registry.add({ ...sampleFilter, name: 'other' }), DuplicateExtensionError);
  t.throws(() => registry.use({ name: 'old', coreRange: '^0.0.1', register() {} }), ExtensionLoadError);
  let registered = 0;
  const ext = { name: 'ok', coreRange: '>=0.1.0', register: () => void registered++ };
  registry.use(ext).use(ext);
  t.equal(registered, 1, 'using the same extension twice registers it once');
});
