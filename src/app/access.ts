import { hasRole, roleRank, type Role } from '../core/identity.js';
import type { Inventory } from '../core/inventory.js';

/** The part of the config that decides who may do what, where. */
export interface AccessConfig {
  access: Array<{ who: string | string[]; role: Role; envs?: string[] }>;
  spaces: Record<string, { envs: string[] }>;
  inventory: Inventory;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

export function matchesEmail(pattern: string, email: string): boolean {
  return globToRegExp(pattern).test(email.trim());
}

export function matchesEnv(pattern: string, env: string): boolean {
  return globToRegExp(pattern).test(env);
}

/**
 * The role a person holds for an environment: the highest of the rules that name them and cover it.
 * Without an environment (help, ping), the highest role they hold anywhere.
 */
export function roleOf(cfg: AccessConfig, email: string, env?: string): Role | undefined {
  let best: Role | undefined;
  for (const rule of cfg.access) {
    const who = Array.isArray(rule.who) ? rule.who : [rule.who];
    if (!who.some((w) => matchesEmail(w, email))) continue;
    if (env !== undefined && rule.envs && !rule.envs.some((p) => matchesEnv(p, env))) continue;
    if (roleRank(rule.role) > roleRank(best)) best = rule.role;
  }
  return best;
}

/** Environments a person may see (viewer or more), optionally narrowed to what a space is restricted to. */
export function visibleEnvs(cfg: AccessConfig, email: string, roomId?: string): string[] {
  return Object.keys(cfg.inventory).filter((env) => hasRole(roleOf(cfg, email, env), 'viewer') && spaceAllows(cfg, roomId, env));
}

export function spaceAllows(cfg: AccessConfig, roomId: string | undefined, env: string): boolean {
  const restriction = roomId ? cfg.spaces[roomId] : undefined;
  return !restriction || restriction.envs.some((p) => matchesEnv(p, env));
}

/** People (or patterns) holding at least `role` for `env`, for refusal cards. */
export function holdersOf(cfg: AccessConfig, role: Role, env?: string): string[] {
  const out = new Set<string>();
  for (const rule of cfg.access) {
    if (roleRank(rule.role) < roleRank(role)) continue;
    if (env !== undefined && rule.envs && !rule.envs.some((p) => matchesEnv(p, env))) continue;
    for (const w of Array.isArray(rule.who) ? rule.who : [rule.who]) out.add(w);
  }
  return [...out];
}

