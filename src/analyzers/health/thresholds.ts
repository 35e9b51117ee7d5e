import type { HealthThresholdOverrides } from '../../core/inventory.js';

/** Levels every `health` grade uses; the inventory may override any of them per environment and per tier. */
export interface HealthThresholds {
  diskUsedPercent: { warn: number; critical: number };
  inodeUsedPercent: { warn: number; critical: number };
  /** Lower is worse. */
  memoryAvailablePercent: { warn: number; critical: number };
  loadPerCore: { warn: number; critical: number };
  healthLatencyMs: { warn: number; critical: number };
  clockOffsetSeconds: { warn: number; critical: number };
  recentBootSeconds: number;
  hsErrGrade: 'warn' | 'critical';
  oomKillGrade: 'warn' | 'critical';
}

/**
 * Sane defaults: disks and inodes at 80/90 % (room to act before writes fail), memory available under 10/5 %, a
 * 5-minute load of 1.5/3 per core, a health endpoint slower than 1/5 s, clock drift over 1/5 s (TLS, Kerberos and
 * log correlation break around there), a boot in the last 10 minutes, a JVM crash file or an OOM kill in the
 * window as a warning (the JVM check itself turns critical when the JVM is down).
 */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  diskUsedPercent: { warn: 80, critical: 90 },
  inodeUsedPercent: { warn: 80, critical: 90 },
  memoryAvailablePercent: { warn: 10, critical: 5 },
  loadPerCore: { warn: 1.5, critical: 3 },
  healthLatencyMs: { warn: 1000, critical: 5000 },
  clockOffsetSeconds: { warn: 1, critical: 5 },
  recentBootSeconds: 600,
  hsErrGrade: 'warn',
  oomKillGrade: 'warn',
};

/** Defaults, then each override in order (environment, then tier); a partial level keeps the other bound. */
export function resolveThresholds(...overrides: Array<HealthThresholdOverrides | undefined>): HealthThresholds {
  const t: HealthThresholds = structuredClone(DEFAULT_HEALTH_THRESHOLDS);
  for (const o of overrides) {
    if (!o) continue;
    for (const key of ['diskUsedPercent', 'inodeUsedPercent', 'memoryAvailablePercent', 'loadPerCore', 'healthLatencyMs', 'clockOffsetSeconds'] as const) {
      const level = o[key];
      if (level) t[key] = { ...t[key], ...level };
    }
    if (o.recentBootSeconds !== undefined) t.recentBootSeconds = o.recentBootSeconds;
    if (o.hsErrGrade) t.hsErrGrade = o.hsErrGrade;
    if (o.oomKillGrade) t.oomKillGrade = o.oomKillGrade;
  }
  return t;
}
