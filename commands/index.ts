import { approvals, audit, cancel } from './approvals.js';
import type { Command } from './command.js';
import { dbCancel, dbHealth, dbKill } from './db.js';
import { envs } from './envs.js';
import { help } from './help.js';
import { job, jobs } from './jobs.js';
import { ping } from './ping.js';
import { health } from './health.js';
import { jvmThreads, jvmHeap, jvmOom } from './jvm.js';
import { disk, diskCleanup } from './disk.js';
import { kafkaRecover, kafkaStatus } from './kafka.js';

/** Every chat command. Help, parsing and suggestions are generated from this list. */
export const COMMANDS: readonly Command[] = [help, ping, job, jobs, envs, dbHealth, dbCancel, dbKill, health, jvmThreads, jvmHeap, jvmOom, disk, diskCleanup, kafkaStatus, kafkaRecover, approvals, cancel, audit];
