import type { ServerState } from '../admin/admin-source.js';
import type { NodeConfig } from '../config/envoy/bootstrap.js';
import type { ExtensionRegistry } from '../registry/registry.js';
import { Category } from '../registry/categories.js';

export interface ServerDescription {
  readonly version: string;
  readonly state: ServerState;
  readonly startTimeMs: number;
  readonly node: NodeConfig | undefined;
  readonly commandLineOptions: Readonly<Record<string, unknown>>;
  readonly registry: ExtensionRegistry;
}

/** `/server_info` in Envoy's shape (`envoy.admin.v3.ServerInfo`). */
export function describeServer(d: ServerDescription): Record<string, unknown> {
  const uptime = `${Math.floor((Date.now() - d.startTimeMs) / 1000)}s`;
  const [major = 0, minor = 0, patch = 0] = (/(\d+)\.(\d+)\.(\d+)/.exec(d.version) ?? []).slice(1).map(Number);
  const extensions = Object.values(Category).flatMap((category) =>
    d.registry.list(category).map((f) => ({
      name: f.name,
      category,
      type_descriptor: '',
      disabled: false,
      type_urls: f.typeUrls.map((u) => u.replace(/^type\.googleapis\.com\//, '')),
    })),
  );
  return {
    version: d.version,
    state: d.state,
    uptime_current_epoch: uptime,
    uptime_all_epochs: uptime,
    hot_restart_version: 'disabled',
    command_line_options: d.commandLineOptions,
    node: {
      id: d.node?.id ?? '',
      cluster: d.node?.cluster ?? '',
      ...(d.node?.metadata ? { metadata: d.node.metadata } : {}),
      ...(d.node?.locality ? { locality: d.node.locality } : {}),
      user_agent_name: 'nodevoy',
      user_agent_build_version: { version: { major_number: major, minor_number: minor, patch } },
      extensions,
      client_features: [],
      listening_addresses: [],
    },
    hot_restart_initializing: false,
  };
}
