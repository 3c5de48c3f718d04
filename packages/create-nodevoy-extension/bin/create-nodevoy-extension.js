#!/usr/bin/env node
// `npm create nodevoy-extension <directory>`. A file of its own, not dist/cli.js, so that
// `npm ci` in a fresh clone links it before anything is built (npm links no bin whose target is missing).
import '../dist/cli.js';
