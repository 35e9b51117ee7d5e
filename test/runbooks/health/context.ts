import type { Executor } from '../../../src/core/executor.js';
import { InventorySchema, type Inventory } from '../../../src/core/inventory.js';
import type { Logger } from '../../../src/core/ports.js';
import type { RunbookContext } from '../../../src/core/runbook.js';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

/** A runbook context over a real executor; the inventory goes through the real schema, as the config file would. */
export function healthContext(executor: Executor, inventory: unknown, signal: AbortSignal = new AbortController().signal): RunbookContext & { notes: string[] } {
  const notes: string[] = [];
  return {
    jobId: 'test-job',
    actor: { type: 'person', email: 'ana@example.com' },
    signal,
    inventory: InventorySchema.parse(inventory) as Inventory,
    services: { executor },
    log: silent,
    clock: { now: () => Date.now() },
    progress: async (note: string) => {
      notes.push(note);
    },
    workerId: 'test:1',
    notes,
  };
}
