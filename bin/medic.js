#!/usr/bin/env node
// The package's bin: runs the compiled CLI (`npm run build` first).
import { cli } from '../dist/src/cli.js';
const io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
process.exitCode = await cli(process.argv.slice(2), io);
