/** What every result card shows besides the result itself. */
export interface ResultMeta {
  jobId: string;
  /** Who asked, as a person reads it. */
  requestedBy: string;
  env?: string;
  /** When the reply is built (ms since epoch), for round-trip figures. */
  now: number;
}
