import { fileURLToPath } from 'node:url';

/** The repository root, from this file's location. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CONFIGS_DIR = fileURLToPath(new URL('../configs/envoy/', import.meta.url));
export const SEED_DOC = fileURLToPath(new URL('../docs/seed/internal_listener.rst', import.meta.url));
export const DEFAULT_CONFIG = fileURLToPath(new URL('../packages/cli/configs/default.yaml', import.meta.url));
