import { randomUUID } from 'node:crypto';

/** The resource kinds that appear in Webex ids (`ciscospark://us/<KIND>/<uuid>`). */
export type WebexIdKind =
  | 'PEOPLE'
  | 'ROOM'
  | 'MEMBERSHIP'
  | 'MESSAGE'
  | 'WEBHOOK'
  | 'ATTACHMENT_ACTION'
  | 'CONTENT'
  | 'ORGANIZATION'
  | 'APPLICATION';

/**
 * A Webex ("hydra") id. The SDK's people batcher re-encodes anything that does not decode to this form and then
 * matches batch responses by id, so plain uuids would make `people.get` hang; we always mint the real format.
 */
export function hydraId(kind: WebexIdKind, uuid: string = randomUUID()): string {
  return Buffer.from(`ciscospark://us/${kind}/${uuid}`).toString('base64url');
}

/** Decodes a hydra id, or undefined when the string is not one (for 400s that name what was wrong). */
export function parseHydraId(id: string): { kind: string; uuid: string } | undefined {
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const m = /^ciscospark:\/\/[a-z0-9]+\/([A-Z_]+)\/(.+)$/.exec(decoded);
  return m ? { kind: m[1], uuid: m[2] } : undefined;
}
