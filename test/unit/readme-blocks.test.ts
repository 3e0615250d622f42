/**
 * How the README walk-through reads README (test/support/readme-blocks.ts): the blocks and their
 * markers, the shell's lines, the long-running commands, the shown outputs and how they are
 * matched — including that a wrong output fails.
 */
import { describe, expect, it } from 'vitest';
import { blockSteps, logicalLines, missingFromOutput, readmeShellBlocks, remapPorts } from '#test/readme-blocks';

const README = [
  '# demo',
  '```sh',
  'npm install && npm start   # the service on http://localhost:3000',
  'npm test',
  '```',
  '## Try it',
  'Some text.',
  '```json',
  '{"not": "shell"}',
  '```',
  '```sh',
  'BODY=\'{"a":1,',
  ' "b":2}\'',
  'curl -s http://localhost:3000/x \\',
  '  --data-raw "$BODY"',
  '# {"status":"processed","inbox_id":1,',
  '#   "events":1}',
  '# then look at the timeline',
  'echo done',
  '```',
  '- a list:',
  '',
  '  <!-- walkthrough: skip (needs a Cloudflare account) -->',
  '  ```sh',
  '  wrangler deploy',
  '  ```',
  '```sh',
  'DATA_DIR=./data PORT=3000 CONFIG_FILE=demo/c.yaml \\',
  '  ADMIN_TOKEN=t npm start',
  'sox -n -r 8000 -c 1 demo/r1.wav synth 8 sine 440',
  '(cd demo && exec python3 -m http.server 8000 --bind 127.0.0.1) &',
  '```',
].join('\n');

describe('README blocks for the walk-through', () => {
  it('finds the sh blocks in order, with their line, section and skip marker, indented ones too', () => {
    const blocks = readmeShellBlocks(README);
    expect(blocks.map((b) => [b.index, b.line, b.section, b.skip])).toEqual([
      [1, 2, 'demo', null],
      [2, 11, 'Try it', null],
      [3, 24, 'Try it', 'needs a Cloudflare account'],
      [4, 27, 'Try it', null],
    ]);
    expect(blocks[2]?.text).toBe('wrangler deploy');
  });

  it('reads the shell’s lines: quotes and backslashes carry a line on', () => {
    const [, block] = readmeShellBlocks(README);
    expect(logicalLines(block?.text ?? '').map((l) => [l.line, l.text.split('\n').length])).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
      [5, 1],
      [6, 1],
      [7, 1],
    ]);
  });

  it('starts npm start in the background after the commands before its &&, and attaches shown outputs to the commands before them', () => {
    const [intro, post, , start] = readmeShellBlocks(README);
    expect(blockSteps(intro as never)).toEqual([
      { kind: 'script', parts: [{ command: 'npm install', line: 3 }], expects: [] },
      { kind: 'service', what: 'npm start', command: 'npm start', port: null, line: 3 },
      { kind: 'script', parts: [{ command: 'npm test', line: 4 }], expects: [] },
    ]);
    const [run] = blockSteps(post as never);
    expect(run).toMatchObject({
      kind: 'script',
      parts: [{ line: 12 }, { line: 14 }, { expect: 0 }, { command: 'echo done', line: 19 }],
      expects: [{ line: 16, text: '{"status":"processed","inbox_id":1, "events":1}' }],
    });
    expect(blockSteps(start as never)[0]).toMatchObject({
      kind: 'service',
      what: 'npm start',
      port: 3000,
      command: expect.stringMatching(/^DATA_DIR=\.\/data PORT=3000 .*ADMIN_TOKEN=t npm start$/),
    });
  });

  it('moves README’s ports, never a sample rate', () => {
    const ports = new Map([
      [3000, 41000],
      [8000, 41001],
    ]);
    expect(remapPorts('PORT=3000 http://localhost:3000/x sox -r 8000 http.server 8000 "url":"http://127.0.0.1:8000/r1.wav"', ports)).toBe(
      'PORT=41000 http://localhost:41000/x sox -r 8000 http.server 41001 "url":"http://127.0.0.1:41001/r1.wav"',
    );
  });

  it('matches a shown JSON output by its key/value pairs, and fails on a wrong or missing one', () => {
    const shown = '{"items":[{"call_key":"demo-1","talk_seconds":180,"delivery_state":"delivered",…}],"next_cursor":null}';
    const actual = JSON.stringify({ items: [{ id: 'x', call_key: 'demo-1', talk_seconds: 180, delivery_state: 'delivered' }], next_cursor: null });
    expect(missingFromOutput(shown, actual)).toEqual([]);
    expect(missingFromOutput(shown, actual.replace('"delivered"', '"pending"'))).toEqual(['"delivery_state":"delivered"']);
    expect(missingFromOutput(shown, '{"error":{"code":"unauthorized"}}')).toHaveLength(4);
    expect(missingFromOutput('{…}', '{}')).toEqual([expect.stringContaining('no "key":value to check')]);
  });

  it('matches any other output as a pattern where … stands for anything', () => {
    const shown = '<audio controls="" preload="none" src="http://localhost:3000/recordings/….mp3?k=db1&amp;s=…">';
    expect(missingFromOutput(shown, '<audio controls="" preload="none" src="http://localhost:3000/recordings/abc.mp3?k=db1&amp;s=ff">')).toEqual([]);
    expect(missingFromOutput(shown, '')).toEqual([shown]);
    expect(missingFromOutput('200 audio/mpeg', '404 application/json')).toEqual(['200 audio/mpeg']);
  });
});
