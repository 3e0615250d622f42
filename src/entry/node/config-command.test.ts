import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { integratorJsonSchema } from '../../settings/json-schema';
import { configSchemaCommand, configValidateCommand, type CommandOutput } from './config-command';

const dir = mkdtempSync(join(tmpdir(), 'calltrail-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(command: (args: string[], output: CommandOutput) => Promise<number>, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const GOOD = `$schema: ./config.schema.json
time_zone: Europe/Moscow
extensions:
  "101": 5566771
  "205": { user: 5566772, department: sales }
unknown_callers: { inbound: contact, outbound: unsorted }
crm:
  fields:
    contact:
      - { field_id: 501, value: 'PBX ext {{ extension }}' }
    contact_tags: [calltrail]
`;

const BAD = `time_zone: Europe/Moskva
extensions:
  "101": anna
crm:
  batchsize: 20
  fields:
    contact:
      - { field_id: 501, value: '{{ phone }}' }
      - { field_id: 502, value: 'x' }
      - field_id: 503
        value: 'Call {{ phonee }}'
    lead_tags: ['{{ duration | mmsss }}']
`;

describe('calltrail config validate', () => {
  it('says ok with a summary for a good file, exit 0', async () => {
    const result = await run(configValidateCommand, [file('good.yaml', GOOD)]);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out).toEqual([
      expect.stringMatching(
        /^ok: .*good\.yaml: CRM amocrm, 2 extensions mapped, unknown callers contact \(inbound\) \/ unsorted \(outbound\), missed-call tasks off, 2 CRM field and tag mappings, time zone Europe\/Moscow$/,
      ),
    ]);
  });

  it('lists every problem of a YAML file with its line:column and path, exit 1', async () => {
    const path = file('bad.yaml', BAD);
    const result = await run(configValidateCommand, [path]);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([]);
    expect(result.err).toEqual([
      `${path}:1:1: time_zone: expected an IANA time zone name, such as "Europe/Moscow" or "UTC"`,
      `${path}:3:3: extensions.101: expected a CRM user id (a positive integer) or {"user": id, "department": name}`,
      `${path}:5:3: crm.batchsize: unknown key — did you mean "batch_size"?`,
      `${path}:11:9: crm.fields.contact[2].value: unknown variable {{phonee}} — did you mean {{phone}}?`,
      `${path}:12:17: crm.fields.lead_tags[0]: unknown filter "mmsss" — did you mean "mmss"? (column 1)`,
      `${path}: 5 problems`,
    ]);
  });

  it('gives positions in a JSON file too', async () => {
    const path = file('bad.json', '{\n  "default_user": "boss",\n  "crm": { "fieldz": {} }\n}\n');
    const result = await run(configValidateCommand, [path]);
    expect(result.code).toBe(1);
    expect(result.err.slice(0, 2)).toEqual([
      `${path}:2:3: default_user: Invalid input: expected number, received string`,
      `${path}:3:12: crm.fieldz: unknown key — did you mean "fields"?`,
    ]);
  });

  it('reports a file that does not parse where it breaks, exit 1', async () => {
    const yaml = file('broken.yaml', 'crm:\n  source: [calltrail\n');
    const result = await run(configValidateCommand, [yaml]);
    expect(result.code).toBe(1);
    expect(result.err[0]).toMatch(new RegExp(`^${yaml.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: not YAML: `));
    const json = file('broken.json', '{"crm": }');
    expect((await run(configValidateCommand, [json])).err[0]).toMatch(/broken\.json: not JSON: /);
  });

  it('is a usage error (exit 2) without exactly one readable FILE, or with an unknown option', async () => {
    for (const args of [[], ['a.yaml', 'b.yaml'], ['--strict', 'a.yaml'], [join(dir, 'missing.yaml')]]) {
      const result = await run(configValidateCommand, args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err.join('\n')).toMatch(/usage: calltrail config validate FILE/);
    }
  });
});

describe('calltrail config schema', () => {
  it('prints the JSON Schema', async () => {
    const result = await run(configSchemaCommand, []);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out.join('\n'))).toEqual(integratorJsonSchema());
  });

  it('writes it with --out, and refuses a stray argument', async () => {
    const path = join(dir, 'schema.json');
    expect((await run(configSchemaCommand, ['--out', path])).code).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(integratorJsonSchema());
    expect((await run(configSchemaCommand, ['x.json'])).code).toBe(2);
  });
});
