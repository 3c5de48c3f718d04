#!/usr/bin/env node
// The `nodevoy` command. A file of its own, not dist/bin.js, so that `npm ci` in a fresh clone
// links it before anything is built (npm links no bin whose target is missing).
import '../dist/bin.js';
