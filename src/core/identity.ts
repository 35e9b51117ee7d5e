/** Roles in increasing order of power; each includes the ones before it. */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: Role | undefined): number {
  return role ? ROLES.indexOf(role) : -1;
}

export function hasRole(have: Role | undefined, need: Role): boolean {
  return roleRank(have) >= roleRank(need);
}

/** How much harm a request can do: `read` runs now, the others wait for an approval. */
export const RISKS = ['read', 'change', 'destructive'] as const;
export type Risk = (typeof RISKS)[number];

/** Who asked: a person in Webex (or the CLI acting as one), or a service identity such as an alert route. */
export type Actor =
  | { type: 'person'; email: string; displayName?: string; personId?: string }
  | { type: 'service'; name: string };

export function actorLabel(actor: Actor): string {
  return actor.type === 'person' ? (actor.displayName ? `${actor.displayName} (${actor.email})` : actor.email) : `service:${actor.name}`;
}

/** Where a result goes back to: a Webex space and, when the request was in a thread, its parent message. */
export interface ReplyTo {
  roomId: string;
  /** Parent message of the thread the reply belongs in. */
  parentId?: string;
}
