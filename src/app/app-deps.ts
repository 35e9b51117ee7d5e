import type { Command } from '../../commands/command.js';
import type { Clock, Logger, ReplyQueue, RunbookQueue } from '../core/ports.js';
import type { AccessConfig } from './access.js';

/** What the use-cases need from the world, wired by main.ts (or by tests with fakes/real Redis). */
export interface AppDeps {
  commands: readonly Command[];
  config: AccessConfig;
  runbooks: RunbookQueue;
  replies: ReplyQueue;
  clock: Clock;
  log: Logger;
}
