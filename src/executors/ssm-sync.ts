import {
  CreateDocumentCommand,
  DescribeDocumentCommand,
  GetDocumentCommand,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { defaultDocumentsDir, loadDocuments, sha256 } from './ssm/documents.js';

export interface SyncedDocument {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
  /** The default version after the sync. */
  version?: string;
}

/**
 * Installs Medic's documents into the account: CreateDocument when missing, UpdateDocument ($LATEST) plus
 * UpdateDocumentDefaultVersion when the content changed, nothing when the default version already has this content
 * (same sha256 as SSM's `Hash`). Idempotent: a second run reports every document unchanged.
 */
export async function syncDocuments(ssm: SSMClient, opts: { documentsDir?: string; prefix?: string } = {}): Promise<SyncedDocument[]> {
  const docs = await loadDocuments(opts.documentsDir ?? defaultDocumentsDir());
  const out: SyncedDocument[] = [];
  for (const doc of docs.values()) {
    const Name = `${opts.prefix ?? ''}${doc.name}`;
    const current = await describe(ssm, Name);
    if (!current) {
      const created = await ssm.send(new CreateDocumentCommand({ Name, Content: doc.content, DocumentType: 'Command', DocumentFormat: 'YAML', Tags: [{ Key: 'managed-by', Value: 'medic' }] }));
      out.push({ name: Name, action: 'created', version: created.DocumentDescription?.DocumentVersion ?? '1' });
      continue;
    }
    if (current.Hash === doc.hash && current.DefaultVersion === current.LatestVersion) {
      out.push({ name: Name, action: 'unchanged', version: current.DefaultVersion });
      continue;
    }
    // The latest version may already hold this content (an earlier sync stopped before switching the default).
    const latest = await ssm.send(new GetDocumentCommand({ Name, DocumentVersion: '$LATEST', DocumentFormat: 'YAML' }));
    let version = latest.DocumentVersion;
    if (sha256(latest.Content ?? '') !== doc.hash) {
      const updated = await ssm.send(new UpdateDocumentCommand({ Name, Content: doc.content, DocumentVersion: '$LATEST', DocumentFormat: 'YAML' }));
      version = updated.DocumentDescription?.DocumentVersion;
    }
    if (!version) throw new Error(`SSM did not report a version for ${Name}`);
    await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name, DocumentVersion: version }));
    out.push({ name: Name, action: 'updated', version });
  }
  return out;
}

async function describe(ssm: SSMClient, Name: string): Promise<{ Hash?: string; DefaultVersion?: string; LatestVersion?: string } | undefined> {
  try {
    return (await ssm.send(new DescribeDocumentCommand({ Name }))).Document;
  } catch (e) {
    if (e instanceof Error && e.name === 'InvalidDocument') return undefined;
    throw e;
  }
}
