import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type protobuf from 'protobufjs';
import { packageRequire, protobufJs } from './lazy-modules.js';

/**
 * Envoy's API as protobuf types, read from the `.proto` files `@grpc/grpc-js-xds` ships (Envoy's
 * `api/` tree with its `xds`, `googleapis` and `protoc-gen-validate` dependencies). Every v3
 * file under `envoy/config`, `envoy/extensions` and `envoy/service/discovery` whose imports all
 * ship is loaded once per process, so an Any in any resource decodes by its `@type`.
 */
let root: protobuf.Root | undefined;

export function envoyProtoRoot(): protobuf.Root {
  root ??= loadEnvoyProtos((apiDir) =>
    ['envoy/config', 'envoy/extensions', 'envoy/service/discovery']
      .flatMap((dir) => protoFiles(join(apiDir, dir)).map((path) => path.slice(apiDir.length + 1)))
      .filter((file) => /\/v3\//.test(file)),
  );
  return root;
}

/**
 * Envoy's `.proto` files (paths under its `api/` tree, such as
 * `envoy/service/auth/v3/external_auth.proto`) with everything they import, keeping the
 * `.proto` field names; files whose imports do not all ship are left out.
 */
export function loadEnvoyProtos(files: (apiDir: string) => readonly string[]): protobuf.Root {
  const deps = join(dirname(packageRequire.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const protobufjsDir = dirname(packageRequire.resolve('protobufjs/package.json'));
  const includeDirs = [protobufjsDir, ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d))];
  const locate = (file: string): string | undefined => includeDirs.map((dir) => join(dir, file)).find((path) => existsSync(path));
  const { common, Root } = protobufJs();
  const bundled = new Set(Object.keys(common));
  const loadable = new Map<string, boolean>();
  const isLoadable = (file: string): boolean => {
    if (bundled.has(file)) return true;
    const known = loadable.get(file);
    if (known !== undefined) return known;
    loadable.set(file, true); // import cycles resolve optimistically
    const path = locate(file);
    const ok = path !== undefined && [...readFileSync(path, 'utf8').matchAll(/^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm)].every((m) => isLoadable(m[1] ?? ''));
    loadable.set(file, ok);
    return ok;
  };
  const loaded = new Root();
  loaded.resolvePath = (_origin, target) => locate(target) ?? target;
  loaded.loadSync(files(join(deps, 'envoy-api')).filter(isLoadable), { keepCase: true });
  return loaded;
}

function protoFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return protoFiles(path);
    return entry.name.endsWith('.proto') ? [path] : [];
  });
}
