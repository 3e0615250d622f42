/**
 * README's table of error codes is the list in `domain/errors.ts`, with the statuses the http layer
 * answers them with: a code added, renamed or remapped without its documentation fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_CODE_LIST } from '../../src/domain/errors';
import { ERROR_STATUS } from '../../src/http/core/errors';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('README lists every code with its status and meaning, and no other', () => {
    const section = readme.split('### Error codes')[1]?.split('\n#')[0] ?? '';
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    expect(rows).toEqual(ERROR_CODE_LIST.map((code) => [code, ERROR_STATUS[code], ERROR_CODES[code]]));
  });

  it('are snake_case, each with a status that is an error', () => {
    for (const code of ERROR_CODE_LIST) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
    }
  });
});
