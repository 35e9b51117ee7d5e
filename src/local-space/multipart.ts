/** One part of a multipart/form-data body, bytes kept exactly as sent. */
export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/**
 * Parses multipart/form-data from a fully buffered body. Hand-rolled (about 30 lines) rather than a dependency:
 * the SDK's form encoder may omit `filename` for buffers, and WHATWG `formData()` would then decode the file
 * bytes as UTF-8 text; here every part stays a Buffer.
 */
export function parseMultipart(body: Buffer, contentTypeHeader: string): MultipartPart[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentTypeHeader);
  if (!m) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('multipart body does not contain its boundary');
  for (;;) {
    pos += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const next = body.indexOf(delimiter, pos);
    if (next < 0) throw new Error('multipart body is truncated (no closing boundary)');
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0 || headerEnd > next) throw new Error('multipart part without headers');
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    // The part's content ends with the CRLF that precedes the next delimiter.
    const data = body.subarray(headerEnd + 4, next - 2);
    let name = '';
    let filename: string | undefined;
    let contentType: string | undefined;
    for (const h of headers) {
      const [key, ...rest] = h.split(':');
      const value = rest.join(':').trim();
      if (key.toLowerCase() === 'content-disposition') {
        name = /\bname="([^"]*)"/i.exec(value)?.[1] ?? '';
        filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
      } else if (key.toLowerCase() === 'content-type') {
        contentType = value;
      }
    }
    parts.push({ name, filename, contentType, data: Buffer.from(data) });
    pos = next;
  }
  return parts;
}
