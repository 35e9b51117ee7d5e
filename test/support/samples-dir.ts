import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test/support/samples.ts makes the run's sample dumps, once for all test files. */
    medicSamplesDir: string;
  }
}

/** vitest global setup: one directory per run for the sample dumps the tests make, removed after the run. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'medic-samples-'));
  project.provide('medicSamplesDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
