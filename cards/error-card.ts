import { adaptiveCard, clip, text, title, type CardMessage } from './card-kit.js';

/** A problem the person can fix: what was wrong and what to type instead. */
export function userErrorCard(message: string, hint?: string): CardMessage {
  return {
    text: `${message}${hint ? ` ${hint}` : ''}`,
    card: adaptiveCard([...title('🤔 I could not do that'), text(clip(message, 1500)), ...(hint ? [text(clip(hint, 800), { isSubtle: true })] : [])]),
  };
}

/** Something broke on our side: the person gets a reference to quote, the log has the details. */
export function internalErrorCard(what: string, ref: string): CardMessage {
  return {
    text: `${what} failed on Medic's side (ref ${ref}).`,
    card: adaptiveCard([
      ...title('💥 Something went wrong on my side'),
      text(`${clip(what, 300)} failed. This is not something you did.`),
      text(`Reference: **${ref}**: quote it to whoever runs Medic; the logs have the details.`, { isSubtle: true }),
    ]),
  };
}

/** Refusal by policy: names the role needed and who holds it. */
export function permissionCard(message: string, holders: string[]): CardMessage {
  const who = holders.length ? `People who can: ${holders.slice(0, 8).join(', ')}${holders.length > 8 ? ', …' : ''}.` : 'Nobody holds that role yet: ask an admin to update `access:` in the config.';
  return {
    text: `${message} ${who}`,
    card: adaptiveCard([...title('🔒 Not allowed'), text(clip(message, 800)), text(who, { isSubtle: true })]),
  };
}
