import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeCrmConfig } from '#test/fake-rest-crm';
import { callEnded } from '#test/events';
import { configPreviewCommand } from './config-preview';

const dir = mkdtempSync(join(tmpdir(), 'calltrail-preview-'));
function file(name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof data === 'string' ? data : JSON.stringify(data));
  return path;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await configPreviewCommand(args, env), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

const sample = file('call.json', callEnded({ call_id: 'demo-1', recording: { id: 'r1', url: 'https://pbx.example/r1.wav' } }));
const generic = { ...fakeCrmConfig('https://crm.example/api'), auth: { type: 'bearer', token: { env: 'CRM_TOKEN' } } };

describe('calltrail config preview', () => {
  it('prints the generic adapter’s requests in order, with the body pretty and the token masked', async () => {
    const config = file('generic.json', { crm: { adapter: 'generic', generic } });
    const { code, out } = await run([config, '--sample', sample], { CRM_TOKEN: 'tok-very-secret' });
    expect(code).toBe(0);
    expect(out).not.toContain('tok-very-secret');
    expect(out).toContain('authorization: Bearer ***');
    const titles = out.split('\n').filter((l) => l.startsWith('## '));
    expect(titles).toEqual(['## 1. find_contact → 200', '## 2. log_call → 201']);
    expect(out).toContain('GET https://crm.example/api/contacts?phone=%2B74951234567');
    expect(out).toContain('POST https://crm.example/api/calls');
    expect(out).toContain('"contact_id": 1001,\n  "external_id": "ct1-');
    expect(out).toContain('"recording_url": "https://pbx.example/r1.wav"');
    expect(out).toContain('# log: logged as 3001 on contacts 1001');
  });

  it('follows the answers file: nobody has the number, so the contact is created and the call logged', async () => {
    const config = file('generic.yaml', `crm:\n  adapter: generic\n  generic: ${JSON.stringify(generic)}\n`);
    const answers = file('answers.json', { find_contact: [{ body: { data: [] } }, { body: { data: [] } }, { body: { data: [{ id: 2001 }] } }] });
    const { code, out } = await run([config, '--sample', sample, '--answers', answers]);
    expect(code).toBe(0);
    expect(out.split('\n').filter((l) => l.startsWith('## '))).toEqual([
      '## 1. find_contact → 200',
      '## 2. find_contact → 200',
      '## 3. create_contact → 201',
      '## 4. find_contact → 200',
      '## 5. log_call → 201',
    ]);
    expect(out).toContain('GET https://crm.example/api/contacts?phone=84951234567');
    expect(out).toContain('# contact: created 2001');
  });

  it('previews the amoCRM adapter too', async () => {
    const { code, out } = await run([file('amo.json', {}), '--sample', sample]);
    expect(code).toBe(0);
    expect(out).toContain('POST https://example.amocrm.ru/api/v4/calls');
    expect(out).toContain('authorization: Bearer ***');
    expect(out).toContain('# log: logged as 3001 on contacts 1001');
  });

  it('says what is wrong with the config, with its path', async () => {
    const config = file('bad.json', { crm: { adapter: 'generic' } });
    const { code, err } = await run([config, '--sample', sample]);
    expect(code).toBe(2);
    expect(err).toContain('crm.generic: is required with crm.adapter: generic');
    expect((await run([config])).code).toBe(2);
  });
});
