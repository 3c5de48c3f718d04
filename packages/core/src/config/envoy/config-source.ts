import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const NO_XDS = 'nodevoy reads resources from files only, not from a management server yet';

const watchedDirectorySchema = schema.message('envoy.config.core.v3.WatchedDirectory', {
  path: schema.required(schema.string({ minLen: 1 })),
});

/** `envoy.config.core.v3.PathConfigSource`: resources from a file, read again when it changes. */
const pathConfigSourceSchema = schema.message('envoy.config.core.v3.PathConfigSource', {
  path: schema.required(schema.string({ minLen: 1 })),
  /** Watch this directory instead of the file (Kubernetes swaps a symlink in it). */
  watched_directory: watchedDirectorySchema,
});

/**
 * `envoy.config.core.v3.ConfigSource`, as far as nodevoy serves it: resources from a file
 * (`path_config_source`, or the deprecated `path`).
 */
export const configSourceSchema = schema.message(
  'envoy.config.core.v3.ConfigSource',
  {
    path_config_source: pathConfigSourceSchema,
    path: schema.string({ minLen: 1 }),
    resource_api_version: schema.enumOf('envoy.config.core.v3.ApiVersion', ['AUTO', 'V2', 'V3'] as const, {
      V2: 'the v2 xDS API was removed from Envoy; use V3',
    }),
    initial_fetch_timeout: schema.duration(),
  },
  {
    oneofs: [{ fields: ['path_config_source', 'path'], required: true }],
    unsupported: { api_config_source: NO_XDS, ads: NO_XDS, self: NO_XDS },
    ignored: ['authorities'],
  },
);
export type ConfigSourceConfig = MessageValue<typeof configSourceSchema.fields>;

/** The file a file-based config source reads, and the directory whose changes mean it changed. */
export function configSourceFile(source: ConfigSourceConfig): { readonly path: string; readonly watchedDirectory?: string } {
  const pathSource = source.path_config_source;
  if (pathSource) return { path: pathSource.path, ...(pathSource.watched_directory ? { watchedDirectory: pathSource.watched_directory.path } : {}) };
  return { path: source.path as string };
}
