import type { JsonObject, JsonValue } from '../config/schema/well-known.js';
import { compileFormat, compileTypedCommand, type FormatContext, type Formatter } from './substitution-format.js';

type ValueFormatter = (context: FormatContext) => unknown;

/**
 * Envoy's `json_format`: one JSON object per entry, keys sorted as Envoy's Struct writes them.
 * A string that is one operator keeps its type (a number, null when missing); any other string
 * is a format with `-` for what is missing; numbers, booleans and lists are kept (list items
 * formatted too). `omit_empty_values` drops the keys whose value is null.
 */
export function compileJsonFormat(template: JsonObject, omitEmptyValues: boolean): Formatter {
  const format = compileObject(template, omitEmptyValues);
  return (context) => `${JSON.stringify(format(context))}\n`;
}

function compileObject(template: JsonObject, omitEmptyValues: boolean): ValueFormatter {
  const fields = Object.keys(template)
    .sort()
    .map((key) => [key, compileValue(template[key] as JsonValue, omitEmptyValues)] as const);
  return (context) => {
    const out: Record<string, unknown> = {};
    for (const [key, format] of fields) {
      const value = format(context);
      if (value === null && omitEmptyValues) continue;
      out[key] = value;
    }
    return out;
  };
}

function compileValue(template: JsonValue, omitEmptyValues: boolean): ValueFormatter {
  if (typeof template === 'string') {
    const typed = compileTypedCommand(template);
    if (typed) return typed;
    const text = compileFormat(template, '-');
    return (context) => text(context);
  }
  if (Array.isArray(template)) {
    const items = template.map((item) => compileValue(item, omitEmptyValues));
    return (context) => items.map((item) => item(context));
  }
  if (template !== null && typeof template === 'object') return compileObject(template, omitEmptyValues);
  return () => template;
}
