import { describe, expect, it } from 'vitest';
import { plain } from '../../cards/card-kit.js';

// Adaptive Cards TextBlock markdown (a CommonMark subset: bold, italic, lists, links): escape only what renders.
describe('plain', () => {
  it.each([
    'TIMED_WAITING',
    'pg_stat_statements',
    'java.lang.Object[]',
    'java.util.HashMap$Node[]',
    'select count(*) from orders where id = $1',
    '__consumer_offsets',
    'snake_case_name and other_name',
    'a * b',
    '2 * 3 = 6',
    'at com.acme.Foo$$Lambda$123/0x0000000801234.run(Unknown Source)',
    '[Ljava.lang.String;',
    'arr[0] (first)',
    '-Xmx512m',
    'C:\\Program Files\\Java',
  ])('leaves %s as it is', (value) => {
    expect(plain(value)).toBe(value);
  });

  it.each([
    ['**bold**', '\\*\\*bold\\*\\*'],
    ['_italic_ text', '\\_italic\\_ text'],
    ['a *b* c', 'a \\*b\\* c'],
    ['"*bold*_name_"', '"\\*bold\\*\\_name\\_"'],
    ['[click](https://evil.example)', '\\[click](https://evil.example)'],
    ['- not a list', '\\- not a list'],
    ['1. not a list', '1\\. not a list'],
    ['line\n* item', 'line\n\\* item'],
    ['a \\*b\\* c', 'a \\\\\\*b\\\\\\* c'],
  ])('escapes what would render in %s', (value, escaped) => {
    expect(plain(value)).toBe(escaped);
  });
});
