export { bundledExtensions, createBundledRegistry } from './bundled-extensions.js';
export { loadExtension } from './load-extension.js';
export { run, processIo, type CliIo } from './run.js';
export { BUILD_VERSION, NODEVOY_VERSION } from './version.js';
