/**
 * An HPROF file with a header, one string and one LOAD_CLASS record, and no heap-dump record at all: what an old
 * `-Xrunhprof:heap=sites` run leaves (the corpus has a real one, jdk8u-jhat-minimal.hprof). No objects, no JVM
 * settings: the empty case the analyzer and the card must still answer.
 */
export function minimalHprof(): Buffer {
  const ID = 4;
  const header = Buffer.alloc(19 + 4 + 8);
  header.write('JAVA PROFILE 1.0.1\0', 0, 'latin1');
  header.writeUInt32BE(ID, 19);
  header.writeBigUInt64BE(1_161_950_000_000n, 23);
  const record = (tag: number, body: Buffer): Buffer => {
    const head = Buffer.alloc(9);
    head[0] = tag;
    head.writeUInt32BE(body.length, 5);
    return Buffer.concat([head, body]);
  };
  const name = Buffer.from('java.nio.charset.CoderResult', 'latin1');
  const utf8 = Buffer.alloc(ID + name.length);
  utf8.writeUInt32BE(0x2a, 0);
  name.copy(utf8, ID);
  const loadClass = Buffer.alloc(4 + ID + 4 + ID);
  loadClass.writeUInt32BE(1, 0); // class serial
  loadClass.writeUInt32BE(0x100, 4); // class object id
  loadClass.writeUInt32BE(0, 8); // stack trace serial
  loadClass.writeUInt32BE(0x2a, 12); // name id
  return Buffer.concat([header, record(0x01, utf8), record(0x02, loadClass)]);
}
