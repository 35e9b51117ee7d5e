import { describe, expect, it } from 'vitest';
import { stripMention } from '../../src/transport/webex/webex-bot.js';
import { assertRedisReachable, RedisUnavailableError, redactUrl } from '../../src/queue/redis.js';

describe('mention stripping', () => {
  it.each([
    ['Medic help', 'help'],
    ['@Medic help', 'help'],
    ['medic, ping', 'ping'],
    ['Medic Bot health acme-prod', 'health acme-prod'],
    ['Medical help', 'Medical help'],
    ['help', 'help'],
    ['  Medic   jobs ', 'jobs'],
  ])('turns %j into %j', (text, expected) => {
    expect(stripMention(text, ['Medic Bot', 'Medic'])).toBe(expected);
  });
});

describe('Redis reachability', () => {
  it('names the URL and how to start Redis when it cannot connect', async () => {
    const err = await assertRedisReachable('redis://user:s3cret@127.0.0.1:1', 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toContain('redis://user:***@127.0.0.1:1');
    expect((err as Error).message).not.toContain('s3cret');
    expect((err as Error).message).toMatch(/redis-server --port 6379/);
  });

  it('redacts passwords in URLs', () => {
    expect(redactUrl('rediss://:pw@cache.example:6380/0')).toBe('rediss://:***@cache.example:6380/0');
  });
});
