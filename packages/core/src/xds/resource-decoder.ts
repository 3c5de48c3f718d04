import { plainToConfig } from '../config/tree.js';
import { INVALID, ParseContext, type FieldType, type ParseServices } from '../config/schema/types.js';
import type { ConfigIssue } from '../errors.js';
import type { XdsResource } from './xds-types.js';

/** A resource parsed by the same schema as the YAML bootstrap, with the parse that located it. */
export type DecodedResource<T> = { readonly ok: true; readonly value: T; readonly parse: ParseContext } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Parses one xDS resource; problems come back as issues with field paths inside the resource. */
export function decodeResource<T>(schema: FieldType<T>, resource: XdsResource, services: ParseServices): DecodedResource<T> {
  const parse = new ParseContext(services);
  const { '@type': _type, ...body } = resource.body;
  const value = schema.parse(plainToConfig(body, { line: 0, col: 0 }), '', parse);
  if (value === INVALID || parse.issues.length > 0) return { ok: false, issues: parse.issues };
  return { ok: true, value, parse };
}

/** Issues as one line each, `path: message (hint)`, for a NACK's `error_detail` and the log. */
export function describeIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((issue) => `${issue.path === '' ? '' : `${issue.path}: `}${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`).join('; ');
}
