import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The S3 REST subset Medic uses (path-style GetObject, HeadObject, PutObject, ListObjectsV2), in memory. Served by
 * the same loopback server as the SSM fake, so the SSM side can write command output where GetObject reads it.
 */

export interface StoredObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export class FakeS3Store {
  readonly buckets = new Map<string, Map<string, StoredObject>>();

  put(bucket: string, key: string, body: Buffer | string, contentType = 'text/plain'): void {
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    let b = this.buckets.get(bucket);
    if (!b) this.buckets.set(bucket, (b = new Map()));
    b.set(key, { body: data, contentType, etag: `"${createHash('md5').update(data).digest('hex')}"`, lastModified: new Date() });
  }

  get(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort();
  }

  /** Handles one S3 request; the caller has already read the body. */
  handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    const method = req.method ?? 'GET';
    if (!bucket) return xmlError(res, 400, 'InvalidRequest', 'path-style requests only (forcePathStyle: true)');
    if (method === 'PUT' && key) {
      this.put(bucket, key, decodeAwsChunked(req, body), String(req.headers['content-type'] ?? 'application/octet-stream'));
      res.writeHead(200, { ETag: this.get(bucket, key)!.etag });
      return void res.end();
    }
    if ((method === 'GET' || method === 'HEAD') && key) {
      const o = this.get(bucket, key);
      if (!o) return method === 'HEAD' ? void res.writeHead(404).end() : xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'Content-Type': o.contentType, 'Content-Length': String(o.body.length), ETag: o.etag, 'Last-Modified': o.lastModified.toUTCString() });
      return void res.end(method === 'HEAD' ? undefined : o.body);
    }
    if (method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const contents = this.keys(bucket, prefix)
        .map((k) => {
          const o = this.get(bucket, k)!;
          return `<Contents><Key>${esc(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${esc(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      const count = this.keys(bucket, prefix).length;
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      return void res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${esc(bucket)}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${count}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`);
    }
    xmlError(res, 501, 'NotImplemented', `${method} ${url.pathname} is not part of the fake`);
  }
}

/** Streaming uploads arrive aws-chunked (size;signature CRLF data CRLF ... 0 CRLF trailers); keep only the data. */
function decodeAwsChunked(req: IncomingMessage, body: Buffer): Buffer {
  const encoded = String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  if (!encoded) return body;
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const eol = body.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = parseInt(body.subarray(pos, eol).toString('latin1').split(';')[0]!, 16);
    if (!size) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error>`);
}
