import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue, type SourcePosition } from '../errors.js';

/**
 * A configuration document as a small tree that remembers where every value came from.
 * YAML and JSON both load into it (JSON is read by the YAML parser, so JSON errors have
 * line:col too), and `--config-yaml` merges into it with proto `MergeFrom` rules.
 */
export type ConfigValue = ConfigMap | ConfigList | ConfigScalar;

export interface ConfigMap {
  readonly kind: 'map';
  readonly entries: Map<string, ConfigEntry>;
  readonly position: SourcePosition;
}

export interface ConfigEntry {
  readonly keyPosition: SourcePosition;
  readonly value: ConfigValue;
}

export interface ConfigList {
  readonly kind: 'list';
  readonly items: ConfigValue[];
  readonly position: SourcePosition;
}

export interface ConfigScalar {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly position: SourcePosition;
  /** True when the YAML/JSON source quoted the value (so `"5"` stays a string). */
  readonly quoted: boolean;
}

/** Parses YAML or JSON text. Syntax errors become a ConfigError with line:col. */
export function parseConfigText(text: string, file: string): ConfigValue {
  const lineCounter = new LineCounter();
  // YAML 1.1, as Envoy's yaml-cpp reads it: unquoted yes/no/on/off are booleans there too.
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false, version: '1.1' });
  const positionOf = (offset: number | undefined): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e): ConfigIssue => ({ path: '', message: e.message.split('\n')[0] ?? e.message, position: positionOf(e.pos[0]) })),
    );
  }
  if (doc.contents === null) return { kind: 'map', entries: new Map(), position: positionOf(0) };
  return convert(doc.contents, positionOf, doc);
}

function convert(node: unknown, positionOf: (offset: number | undefined) => SourcePosition, doc: Document): ConfigValue {
  if (isMap(node)) {
    const entries = new Map<string, ConfigEntry>();
    for (const pair of node.items) {
      const keyNode = pair.key;
      // The key as written: a key `y` or `on` stays a string, as Envoy's YAML reader keeps it.
      const key = isScalar(keyNode) ? (keyNode.source ?? String(keyNode.value)) : String(keyNode);
      const valueNode = pair.value;
      const keyPosition = positionOf(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
      const value: ConfigValue =
        valueNode === null || valueNode === undefined
          ? { kind: 'scalar', value: null, position: keyPosition, quoted: false }
          : convert(resolveAlias(valueNode, doc), positionOf, doc);
      entries.set(key, { keyPosition, value });
    }
    return { kind: 'map', entries, position: positionOf(node.range?.[0]) };
  }
  if (isSeq(node)) {
    return {
      kind: 'list',
      items: node.items.map((item) => convert(resolveAlias(item, doc), positionOf, doc)),
      position: positionOf(node.range?.[0]),
    };
  }
  if (isScalar(node)) {
    const raw = node.value;
    const value = typeof raw === 'bigint' ? Number(raw) : (raw as string | number | boolean | null);
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    return { kind: 'scalar', value, position: positionOf(node.range?.[0]), quoted };
  }
  return { kind: 'scalar', value: null, position: positionOf(undefined), quoted: false };
}

/** Anchors and aliases are legal YAML and Envoy configs use them. */
function resolveAlias(node: unknown, doc: Document): unknown {
  return isAlias(node) ? (node.resolve(doc) ?? null) : node;
}

/**
 * Merges `overlay` into `base` the way protobuf `MergeFrom` does, which is what Envoy does
 * with `--config-yaml`: maps merge field by field, lists append, scalars replace.
 */
export function mergeConfig(base: ConfigValue, overlay: ConfigValue): ConfigValue {
  if (base.kind === 'map' && overlay.kind === 'map') {
    const entries = new Map(base.entries);
    for (const [key, entry] of overlay.entries) {
      const existing = entries.get(key);
      entries.set(key, existing ? { keyPosition: entry.keyPosition, value: mergeConfig(existing.value, entry.value) } : entry);
    }
    return { kind: 'map', entries, position: base.position };
  }
  if (base.kind === 'list' && overlay.kind === 'list') {
    return { kind: 'list', items: [...base.items, ...overlay.items], position: base.position };
  }
  return overlay;
}

/** Turns a subtree back into plain JSON (for Struct fields and config_dump). */
export function toPlain(value: ConfigValue): unknown {
  switch (value.kind) {
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of value.entries) out[key] = toPlain(entry.value);
      return out;
    }
    case 'list':
      return value.items.map(toPlain);
    case 'scalar':
      return value.value;
  }
}

/**
 * Plain JSON (an xDS resource decoded from protobuf) as a tree. It has no lines: every value
 * carries `origin`, and issues name the field path within it.
 */
export function plainToConfig(value: unknown, origin: SourcePosition): ConfigValue {
  if (Array.isArray(value)) return { kind: 'list', items: value.map((item) => plainToConfig(item, origin)), position: origin };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, ConfigEntry>();
    for (const [key, item] of Object.entries(value)) entries.set(key, { keyPosition: origin, value: plainToConfig(item, origin) });
    return { kind: 'map', entries, position: origin };
  }
  const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
  return { kind: 'scalar', value: scalar, position: origin, quoted: typeof value === 'string' };
}
