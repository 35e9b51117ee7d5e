#!/usr/bin/env node
// The package's bin (`npx medic …`). In a checkout after `npm ci` (src/cli.ts beside it, tsx installed) it runs the
// TypeScript sources through tsx's ESM API: no build step, and never a dist/ older than the sources. Where there
// are no sources or no tsx (the Docker image: dist/ and production dependencies only) it runs the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const sources = new URL('../src/cli.ts', import.meta.url);
const compiled = new URL('../dist/src/cli.js', import.meta.url);

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch (e) {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

async function loadCli() {
  if (existsSync(fileURLToPath(sources))) {
    const register = await tsxRegister();
    if (register) {
      register();
      return (await import(sources.href)).cli;
    }
  }
  if (existsSync(fileURLToPath(compiled))) return (await import(compiled.href)).cli;
  return undefined;
}

const io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
try {
  const cli = await loadCli();
  if (!cli) {
    io.stderr('medic: found neither the sources with tsx (run `npm ci`) nor a build (run `npm run build`) beside this bin.\n');
    process.exitCode = 2;
  } else {
    process.exitCode = await cli(process.argv.slice(2), io);
  }
} catch (err) {
  io.stderr(`medic: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
