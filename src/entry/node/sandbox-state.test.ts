import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../lib/log';
import { call, callItem, testSandbox } from '../../sandbox/testing';
import { fileSandboxState, SANDBOX_STATE_FILE } from './sandbox-state';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'calltrail-sandbox-state-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the sandbox CRM kept in DATA_DIR', () => {
  it('writes the account to sandbox-amocrm.json (creating DATA_DIR) and a new sandbox on that file starts from it', async () => {
    const dir = join(dataDir(), 'not-yet');
    const log = memoryLogger();
    const first = testSandbox({ seed: 'demo', state: fileSandboxState(dir, log) }).sb;
    await call(first, 'POST', '/api/v4/calls', [callItem('+74951234567', { uniq: 'c-1', link: 'https://rec.example/c-1.mp3' })]);
    await first.flush();
    expect(readdirSync(dir)).toEqual([SANDBOX_STATE_FILE]);
    expect(JSON.parse(readFileSync(join(dir, SANDBOX_STATE_FILE), 'utf8'))).toMatchObject({
      version: 1,
      records: { notes: { contacts: [{ params: { uniq: 'c-1' } }] } },
    });

    const second = testSandbox({ seed: 'demo', state: fileSandboxState(dir, log) }).sb;
    expect(second.store.notesByUniq('c-1')).toEqual(first.store.notesByUniq('c-1'));
    expect(log.lines).toEqual([]);
  });

  it('moves an unreadable file aside, says so, and starts from the demo account', () => {
    const dir = dataDir();
    writeFileSync(join(dir, SANDBOX_STATE_FILE), '{"version":1,"records":');
    const log = memoryLogger();
    const { sb } = testSandbox({ seed: 'demo', state: fileSandboxState(dir, log) });
    expect(sb.store.contacts().map((c) => c.name)).toContain('Ivan Petrov');
    const files = readdirSync(dir);
    expect(files).toEqual([expect.stringMatching(/^sandbox-amocrm\.json\.unreadable-/)]);
    expect(readFileSync(join(dir, files[0] as string), 'utf8')).toBe('{"version":1,"records":');
    expect(log.lines.join('\n')).toContain('the saved sandbox CRM could not be read');
  });

  it('reports a write it cannot make and keeps the service going', async () => {
    const dir = dataDir();
    // DATA_DIR is a file: nothing can be written under it.
    const blocked = join(dir, 'file');
    writeFileSync(blocked, '');
    const log = memoryLogger();
    const { sb } = testSandbox({ seed: 'demo', state: fileSandboxState(blocked, log) });
    await call(sb, 'POST', '/api/v4/calls', [callItem('+74951234567')]);
    await sb.flush();
    expect(log.lines.join('\n')).toContain('could not save the sandbox CRM');
  });
});
