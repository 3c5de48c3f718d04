#!/usr/bin/env node
import { run } from './run.js';

// Exit explicitly once the server stopped: a stray handle must not keep a stopped proxy alive.
const code = await run(process.argv.slice(2));
process.exit(code);
