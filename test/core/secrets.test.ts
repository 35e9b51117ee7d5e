import { describe, expect, it } from 'vitest';
import { isSecretName, MASK, maskRecord, maskText, maskValue } from '../../src/core/secrets.js';

describe('secret masking', () => {
  it.each(['db.password', 'PASSWD', 'app.pwd', 'client_secret', 'auth.token', 'aws.credentials', 'APIKEY', 'api_key', 'private.key', 'Authorization', 'javax.net.ssl.keyStorePassword'])(
    'treats %s as a secret name',
    (name) => expect(isSecretName(name)).toBe(true),
  );

  it.each(['java.version', 'sun.java.command', 'user.dir', 'file.encoding', 'java.vm.name'])('leaves %s alone', (name) => {
    expect(isSecretName(name)).toBe(false);
    expect(maskValue(name, 'x y')).toBe('x y');
  });

  it('masks -D system properties and flags on a command line, keeping the rest readable', () => {
    const cmd = '/usr/bin/java -Xmx2g -Ddb.password=hunter2 -Dspring.datasource.url=jdbc:postgresql://db/app -Dapi.token="a b c" -jar app.jar --admin-password s3cr3t --port 8080';
    const masked = maskText(cmd);
    expect(masked).toBe(`/usr/bin/java -Xmx2g -Ddb.password=${MASK} -Dspring.datasource.url=jdbc:postgresql://db/app -Dapi.token=${MASK} -jar app.jar --admin-password ${MASK} --port 8080`);
    for (const secret of ['hunter2', 's3cr3t', 'a b c']) expect(masked).not.toContain(secret);
  });

  it('masks values that look like secrets on their own', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----';
    expect(maskText(jwt)).toBe(MASK);
    expect(maskText(`key: ${pem}`)).not.toContain('MIIEow');
    expect(maskText('jdbc:mysql://db/app?user=app&password=hunter2&ssl=true')).toBe(`jdbc:mysql://db/app?user=app&password=${MASK}&ssl=true`);
    expect(maskText('postgres://app:hunter2@db:5432/app')).toBe(`postgres://app:${MASK}@db:5432/app`);
    expect(maskText('Authorization: Bearer abcdefghijklmnop')).not.toContain('abcdefghijklmnop');
    expect(maskText('AKIAIOSFODNN7EXAMPLE')).toBe(MASK);
    expect(maskText('TIMED_WAITING on java.lang.Object[] in pg_stat_statements')).toBe('TIMED_WAITING on java.lang.Object[] in pg_stat_statements');
  });

  it('masks a record by name and by value', () => {
    expect(maskRecord({ 'db.password': 'hunter2', 'sun.java.command': 'App -Dx.secret=1 run', 'java.version': '17' })).toEqual({
      'db.password': MASK,
      'sun.java.command': `App -Dx.secret=${MASK} run`,
      'java.version': '17',
    });
  });
});
