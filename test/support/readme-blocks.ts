/**
 * README's shell blocks as the walk-through runs them (test/readme/walkthrough.test.ts): every
 * ```sh block in order, the marker that says a block cannot run here, the long-running commands in
 * it, and the outputs README shows for its commands.
 *
 * Conventions README keeps (and this file reads):
 * - `<!-- walkthrough: skip (reason) -->` on the line before a block: it needs something this
 *   machine has not got (a Cloudflare account, a CRM account, the reader's PBX files); it is only
 *   checked with `bash -n`.
 * - `npm start` and `npm run dev:workerd` (with `VAR=value` in front, or after `… &&`) run until
 *   stopped: the walk-through starts them in the background and waits for their /health.
 * - What a command prints is shown in comment lines right after it, the first one starting with
 *   `{`, `[`, `<`, `"` or a digit (prose starts with a word); lines indented after `#` continue it.
 *   `…` stands for anything. JSON is matched by its `"key":value` pairs (each must appear, in any
 *   order and nesting); anything else as a pattern.
 * @module
 */

export interface ReadmeBlock {
  /** 1-based among the ```sh blocks. */
  index: number;
  /** Line of the opening fence in README.md. */
  line: number;
  /** The heading the block is under. */
  section: string;
  /** The block's text, its fence's indentation removed. */
  text: string;
  /** Why it is not run (its marker), or null. */
  skip: string | null;
}

const SKIP_MARKER = /^\s*<!--\s*walkthrough:\s*skip\s*\((.+)\)\s*-->\s*$/;

export function readmeShellBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) section = heading[1] as string;
    const fence = /^(\s*)(`{3,})(\w*)\s*$/.exec(line);
    if (!fence) continue;
    const [, indent = '', ticks = '', lang] = fence;
    const end = lines.findIndex((l, j) => j > i && l.trim() === ticks);
    if (end < 0) throw new Error(`README.md:${i + 1}: a code block that does not end`);
    if (lang === 'sh') {
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      let before = i - 1;
      while (before >= 0 && (lines[before] as string).trim() === '') before--;
      const marker = before >= 0 ? SKIP_MARKER.exec(lines[before] as string) : null;
      blocks.push({ index: blocks.length + 1, line: i + 1, section, text: body.join('\n'), skip: marker ? (marker[1] as string) : null });
    }
    i = end;
  }
  return blocks;
}

/** A command line as the shell reads it (continuations and quoted newlines inside), and where it starts. */
export interface LogicalLine {
  text: string;
  /** 0-based line within the block. */
  line: number;
}

/** Splits a block into the shell's lines: a newline inside quotes or after a backslash does not end one. */
export function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let current = '';
  let start = 0;
  let quote: '"' | "'" | null = null;
  let line = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\n') line++;
    if (quote === "'") {
      if (ch === "'") quote = null;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      if (text[i + 1] === '\n') line++;
      i++;
      continue;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
    } else if (ch === "'" || ch === '"') {
      // A quote inside a comment is prose.
      if (!/(^|\s)#/.test(current)) quote = ch;
    } else if (ch === '\n') {
      out.push({ text: current, line: start });
      current = '';
      start = line;
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') out.push({ text: current, line: start });
  return out.filter((l) => l.text.trim() !== '');
}

/** An output README shows, to be found in what the commands before it printed. */
export interface Expected {
  /** 1-based line in README.md. */
  line: number;
  text: string;
}

/** A long-running command: started in the background, ready when its /health answers. */
export interface ServiceStart {
  kind: 'service';
  what: 'npm start' | 'npm run dev:workerd';
  /** The command as written (with its VAR=value words). */
  command: string;
  /** Its port when the command names one (PORT=…, --port …); else the default of `what`. */
  port: number | null;
  line: number;
}

/** Commands run in the walk-through's shell, with the outputs shown after them. */
export interface ScriptRun {
  kind: 'script';
  /** The commands in order; `{ expect: n }` marks where the n-th expected output (of this run) stands. */
  parts: ({ command: string; line: number } | { expect: number })[];
  expects: Expected[];
}

export type Step = ScriptRun | ServiceStart;

const LONG_RUNNING = /^(?<before>.*&&\s*)?(?<env>(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)(?<what>npm start|npm run dev:workerd)(?<args>[^#;&|]*)(?<comment>#.*)?$/s;
/** The first line of a shown output: not prose. */
const OUTPUT_START = /^#\s?[[{<"\d]/;

/** The block as steps: runs of commands (each with its shown outputs) and the services it starts. */
export function blockSteps(block: ReadmeBlock): Step[] {
  const steps: Step[] = [];
  let run: ScriptRun | null = null;
  const script = (): ScriptRun => {
    if (!run) {
      run = { kind: 'script', parts: [], expects: [] };
      steps.push(run);
    }
    return run;
  };
  let lastWasCommand = false;
  let expecting: Expected | null = null;
  for (const logical of logicalLines(block.text)) {
    const text = logical.text.trim();
    const readmeLine = block.line + 1 + logical.line;
    if (text.startsWith('#')) {
      if (expecting && /^#\s{2,}/.test(text)) expecting.text += ` ${text.replace(/^#\s+/, '')}`;
      else if (lastWasCommand && OUTPUT_START.test(text)) {
        const r = script();
        expecting = { line: readmeLine, text: text.replace(/^#\s?/, '') };
        r.expects.push(expecting);
        r.parts.push({ expect: r.expects.length - 1 });
      } else expecting = null;
      lastWasCommand = false;
      continue;
    }
    expecting = null;
    lastWasCommand = true;
    const long = LONG_RUNNING.exec(text.replace(/\\\n\s*/g, ' '));
    if (!long?.groups) {
      script().parts.push({ command: logical.text, line: readmeLine });
      continue;
    }
    const { before, env = '', what, args = '' } = long.groups;
    if (before) script().parts.push({ command: before.replace(/&&\s*$/, '').trim(), line: readmeLine });
    const port = /(?:^|\s)PORT=(\d+)/.exec(env)?.[1] ?? /--port[ =](\d+)/.exec(args)?.[1];
    steps.push({
      kind: 'service',
      what: what as ServiceStart['what'],
      command: `${env}${what}${args}`.trim(),
      port: port ? Number(port) : null,
      line: readmeLine,
    });
    run = null;
    lastWasCommand = false;
  }
  return steps;
}

/** README's fixed ports (3000 the service, 8000 the demo's file server, 8787 wrangler dev) moved to free ones. */
export function remapPorts(text: string, ports: ReadonlyMap<number, number>): string {
  return text.replace(/(?<=[:=]|http\.server |--port )(\d{4,5})\b/g, (m) => String(ports.get(Number(m)) ?? m));
}

/** Does `actual` show what README shows? Returns the shown pieces that are missing (empty: it does). */
export function missingFromOutput(expected: string, actual: string): string[] {
  const shown = expected.trim();
  if (shown.startsWith('{') || shown.startsWith('[')) {
    const pairs = [...shown.matchAll(/"((?:[^"\\]|\\.)+)":\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)/g)].map((m) => `"${m[1]}":${m[2]}`);
    if (pairs.length === 0) return [`(README shows no "key":value to check in ${shown})`];
    const compact = compactJson(actual);
    return pairs.filter((p) => !compact.includes(p));
  }
  const pattern = shown
    .split('…')
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(pattern).test(actual) ? [] : [shown];
}

/** JSON output, each line compacted (no spaces after `:`), so that `"key":value` pairs compare as text. */
function compactJson(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      try {
        return JSON.stringify(JSON.parse(line));
      } catch {
        return line;
      }
    })
    .join('\n');
}
