import type { CommandTargets, InstanceResult } from '../../core/executor.js';
import type { JvmSpec } from '../../core/inventory.js';
import type { JvmTargetInfo, ResolvedJvmTarget } from '../../core/kinds/jvm.js';

/** The document parameters that find a JVM (shared by every Medic-Jvm* document). */
export function jvmParameters(jvm: JvmSpec): { JvmProcess: string; JvmContainer: string; JvmUser: string } {
  return { JvmProcess: jvm.container ? '' : (jvm.process ?? ''), JvmContainer: jvm.container ?? '', JvmUser: jvm.container ? '' : (jvm.user ?? '') };
}

export function singleInstance(t: ResolvedJvmTarget): CommandTargets {
  return { instanceIds: [t.instanceId] };
}

export function targetInfo(t: ResolvedJvmTarget): JvmTargetInfo {
  return { env: t.env, tier: t.tier, instanceId: t.instanceId, name: t.name };
}

/** The one invocation of a single-instance command (a missing one would be an executor bug). */
export function onlyInvocation(instances: InstanceResult[], t: ResolvedJvmTarget): InstanceResult {
  return instances.find((i) => i.instanceId === t.instanceId) ?? instances[0] ?? { instanceId: t.instanceId, status: 'Failed', exitCode: null, stdout: '', stderr: '', durationMs: 0, detail: 'no answer from the executor' };
}

/** The `===MEDIC-ERROR <why>` line a document prints before failing, else the executor's own words. */
export function documentError(r: InstanceResult): string {
  const line = r.stdout.split('\n').find((l) => l.startsWith('===MEDIC-ERROR '));
  if (line) return line.slice('===MEDIC-ERROR '.length).trim();
  return r.detail ?? `${r.status}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}`;
}

/** `name=value` pairs of a marker line (`===MEDIC-JVM pid=12 user=app`). Values contain no spaces. */
export function markerFields(stdout: string, marker: string): Record<string, string> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${marker} `) || l === marker);
  if (line === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const m of line.slice(marker.length).matchAll(/([A-Za-z]+)=(\S*)/g)) out[m[1]!] = m[2]!;
  return out;
}
