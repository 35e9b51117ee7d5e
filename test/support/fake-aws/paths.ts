import { fileURLToPath } from 'node:url';

/** Medic's real documents and the test-only ones (output sizes, a step that hangs). */
export const REAL_DOCUMENTS_DIR = fileURLToPath(new URL('../../../src/runbooks/documents/', import.meta.url));
export const TEST_DOCUMENTS_DIR = fileURLToPath(new URL('./documents/', import.meta.url));
