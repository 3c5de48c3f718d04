import { readFileSync } from 'node:fs';
import { DataSourceError } from '../../errors.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

/** `envoy.config.core.v3.DataSource`: bytes from a file, inline (text or base64), or an environment variable. */
export const dataSourceSchema = schema.message(
  'envoy.config.core.v3.DataSource',
  {
    filename: schema.string({ minLen: 1 }),
    inline_bytes: schema.bytes(),
    inline_string: schema.string(),
    environment_variable: schema.string({ minLen: 1 }),
  },
  { oneofs: [{ fields: ['filename', 'inline_bytes', 'inline_string', 'environment_variable'], required: true }] },
);
export type DataSourceConfig = MessageValue<typeof dataSourceSchema.fields>;

/** The bytes of a DataSource, read now (a file is read again on each call: certificates rotate). */
export function readDataSource(source: DataSourceConfig): Buffer {
  if (source.filename !== undefined) {
    try {
      return readFileSync(source.filename);
    } catch (err) {
      throw new DataSourceError(`Invalid path: ${source.filename} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  }
  if (source.inline_bytes !== undefined) return source.inline_bytes;
  if (source.inline_string !== undefined) return Buffer.from(source.inline_string);
  const name = source.environment_variable as string;
  const value = process.env[name];
  if (value === undefined) throw new DataSourceError(`Environment variable doesn't exist: ${name}`);
  return Buffer.from(value);
}

/** How a DataSource is named in messages: its file, or where else it comes from. */
export function describeDataSource(source: DataSourceConfig): string {
  if (source.filename !== undefined) return source.filename;
  if (source.environment_variable !== undefined) return `$${source.environment_variable}`;
  return '<inline>';
}
