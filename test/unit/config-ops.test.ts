import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const token = 'T'.repeat(40);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ WEBEX_TOKEN: token, ...env });
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
}

describe('configuration: ports, proxies and shutdown', () => {
  it('trusts no proxy, shares one port and drains for 15 minutes by default', () => {
    const c = loadConfig({ WEBEX_TOKEN: token });
    expect(c.env.MEDIC_TRUST_PROXY).toBeUndefined();
    expect(c.env.MEDIC_ADMIN_PORT).toBeUndefined();
    expect(c.env.MEDIC_SHUTDOWN_GRACE_MS).toBe(15 * 60_000);
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['0', false],
    ['false', false],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
    ['uniquelocal,fd00::/8,::1', ['uniquelocal', 'fd00::/8', '::1']],
  ])('reads MEDIC_TRUST_PROXY=%j as %j', (raw, expected) => {
    expect(loadConfig({ WEBEX_TOKEN: token, MEDIC_TRUST_PROXY: raw }).env.MEDIC_TRUST_PROXY).toEqual(expected);
  });

  it('refuses MEDIC_TRUST_PROXY=true, saying why and what to give instead', () => {
    expect(problems({ MEDIC_TRUST_PROXY: 'true' })).toEqual([expect.stringMatching(/^MEDIC_TRUST_PROXY: `true` would trust an X-Forwarded-For header sent by anyone; give the number of proxies/)]);
  });

  it.each(['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/8', 'yes', '1.2.3'])('refuses MEDIC_TRUST_PROXY=%j, naming the bad entry', (raw) => {
    const p = problems({ MEDIC_TRUST_PROXY: `loopback,${raw}` });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(`"${raw}": not a hop count, IP address, CIDR subnet`);
  });

  it('refuses an admin port equal to the public one on the web role', () => {
    expect(problems({ PORT: '8080', MEDIC_ADMIN_PORT: '8080' })).toEqual([expect.stringMatching(/^MEDIC_ADMIN_PORT: 8080 is PORT too; choose another port/)]);
    expect(problems({ PORT: '8080', MEDIC_ADMIN_PORT: '9090' })).toEqual([]);
    expect(problems({ MEDIC_ROLE: 'worker', PORT: '8080', MEDIC_ADMIN_PORT: '8080' })).toEqual([]);
  });

  it.each([['-1'], ['soon'], ['90000000']])('refuses MEDIC_SHUTDOWN_GRACE_MS=%j', (raw) => {
    expect(problems({ MEDIC_SHUTDOWN_GRACE_MS: raw })).toEqual([expect.stringMatching(/^MEDIC_SHUTDOWN_GRACE_MS: /)]);
  });
});
