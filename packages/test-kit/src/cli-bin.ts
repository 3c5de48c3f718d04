import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The installed CLI's entry point: the kit runs the real `nodevoy` in a child process, as a user would. */
export const NODEVOY_BIN = join(dirname(createRequire(import.meta.url).resolve('@nodevoy/cli/package.json')), 'dist', 'bin.js');
