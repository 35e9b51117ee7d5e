/** A file a result carries (full report, raw dump); the reply stage attaches it in the thread. */
export interface ResultAttachment {
  name: string;
  contentType: string;
  content: string;
}

/** Fields every result has besides its kind-specific data. */
export interface ResultBase {
  summary: string;
  attachments?: ResultAttachment[];
}
