import { configByName, typedConfig, type TypedConfig } from './any.js';
import { message } from './message.js';
import { string } from './scalars.js';
import { INVALID, childPath, type FieldType } from './types.js';

/** An entry naming an extension, like a listener's `filters[i]` or a `transport_socket`. */
export interface ExtensionEntry {
  readonly name: string;
  readonly typed: TypedConfig;
  /** The entry's own fields besides the extension (an access log's `filter`), when it has any. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * The `{ name, typed_config }` shape Envoy uses for filters, transport sockets and bootstrap
 * extensions. Without `typed_config` the extension is looked up by `name`, as Envoy does.
 */
export function extensionEntry(
  typeName: string,
  category: string,
  unsupported: Readonly<Record<string, string>> = {},
  extraFields: Readonly<Record<string, FieldType<unknown>>> = {},
): FieldType<ExtensionEntry> {
  const shape = message(typeName, { ...extraFields, name: string(), typed_config: typedConfig(category) }, { unsupported });
  return {
    description: typeName,
    parse(value, path, ctx) {
      const parsed = shape.parse(value, path, ctx);
      if (parsed === INVALID) return INVALID;
      const name = parsed.name ?? '';
      const fields = parsed as Readonly<Record<string, unknown>>;
      const extra = Object.fromEntries(Object.keys(extraFields).flatMap((field) => (fields[field] === undefined ? [] : [[field, fields[field]]])));
      const withExtra = Object.keys(extra).length > 0 ? { extra } : {};
      if (parsed.typed_config) return remembered({ name, typed: parsed.typed_config, ...withExtra });
      if (name === '') return ctx.report(path, value.position, "an extension needs 'typed_config' or a 'name'");
      const typed = configByName(category, name, value.position, childPath(path, 'name'), ctx);
      return typed === INVALID ? INVALID : remembered({ name, typed, ...withExtra });

      function remembered(entry: ExtensionEntry): ExtensionEntry {
        const location = ctx.locationOf(parsed as object);
        if (location) ctx.remember(entry, location);
        return entry;
      }
    },
  };
}
