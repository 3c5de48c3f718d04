import type { LayeredRuntimeConfig } from '../config/envoy/bootstrap.js';
import type { JsonValue } from '../config/schema/well-known.js';

export type RuntimeValue = string | number | boolean;

interface Layer {
  readonly name: string;
  readonly values: ReadonlyMap<string, RuntimeValue>;
}

/**
 * `layered_runtime` with static layers (later layers win), flattened to dotted keys the way
 * Envoy reads them: `{envoy: {reloadable_features: {x: true}}}` is `envoy.reloadable_features.x`.
 * Extensions read values here; `admin_layer` starts empty.
 */
export class Runtime {
  private readonly layers: Layer[];
  private readonly merged = new Map<string, RuntimeValue>();

  constructor(config: LayeredRuntimeConfig | undefined) {
    this.layers = (config?.layers ?? []).map((layer) => ({
      name: layer.name,
      values: flatten(layer.static_layer ?? {}),
    }));
    for (const layer of this.layers) for (const [key, value] of layer.values) this.merged.set(key, value);
  }

  has(key: string): boolean {
    return this.merged.has(key);
  }

  getBoolean(key: string, defaultValue: boolean): boolean {
    const value = this.merged.get(key);
    if (typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    return defaultValue;
  }

  getInteger(key: string, defaultValue: number): number {
    const value = this.merged.get(key);
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    return Number.isFinite(n) ? Math.trunc(n) : defaultValue;
  }

  getString(key: string, defaultValue: string): string {
    const value = this.merged.get(key);
    return value === undefined ? defaultValue : String(value);
  }

  /** Envoy's `/runtime` admin shape. */
  toAdminJson(): { layers: string[]; entries: Record<string, { layer_values: string[]; final_value: string }> } {
    const entries: Record<string, { layer_values: string[]; final_value: string }> = {};
    for (const [key, value] of [...this.merged].sort(([a], [b]) => a.localeCompare(b))) {
      entries[key] = {
        layer_values: this.layers.map((layer) => (layer.values.has(key) ? String(layer.values.get(key)) : '')),
        final_value: String(value),
      };
    }
    return { layers: this.layers.map((l) => l.name), entries };
  }
}

function flatten(struct: Record<string, JsonValue>, prefix = '', out = new Map<string, RuntimeValue>()): Map<string, RuntimeValue> {
  for (const [key, value] of Object.entries(struct)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value, full, out);
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out.set(full, value);
  }
  return out;
}
