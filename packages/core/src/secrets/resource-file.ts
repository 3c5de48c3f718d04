import { ConfigError, formatConfigIssue, type ConfigIssue } from '../errors.js';
import { Category } from '../registry/categories.js';
import type { TypedConfig } from '../config/schema/any.js';
import { schema } from '../config/schema/index.js';
import { INVALID, ParseContext, type ParseServices } from '../config/schema/types.js';
import { parseConfigText } from '../config/tree.js';

/**
 * What a file-based xDS source holds: a `DiscoveryResponse` in YAML or JSON, its resources each
 * an `Any` whose `@type` an extension registered as a config resource type.
 */
const discoveryResponseSchema = schema.message(
  'envoy.service.discovery.v3.DiscoveryResponse',
  {
    version_info: schema.string(),
    resources: schema.repeated(schema.typedConfig(Category.configResource)),
  },
  { ignored: ['canary', 'type_url', 'nonce', 'control_plane', 'resource_errors'] },
);

export interface ResourceFile {
  readonly resources: readonly TypedConfig[];
  /** Problems as a user reads them: `file:line:col: path: message`. */
  readonly issues: readonly { readonly message: string }[];
}

export function parseResourceFile(text: string, file: string, services: ParseServices): ResourceFile {
  let issues: readonly ConfigIssue[];
  try {
    const ctx = new ParseContext(services);
    const parsed = discoveryResponseSchema.parse(parseConfigText(text, file), '', ctx);
    if (parsed !== INVALID && ctx.issues.length === 0) return { resources: parsed.resources ?? [], issues: [] };
    issues = ctx.issues;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues = err.issues;
  }
  return { resources: [], issues: issues.map((issue) => ({ message: formatConfigIssue(issue) })) };
}
