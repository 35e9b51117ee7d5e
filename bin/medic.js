#!/usr/bin/env node
// The package's bin: runs the compiled CLI (`npm run build` first).
import('../dist/src/cli.js');
