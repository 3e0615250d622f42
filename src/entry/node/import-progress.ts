/**
 * Progress of an import on stderr: a bar (cli-progress) when stderr is a terminal, else a line
 * every few seconds — logs and CI output should not fill with carriage returns.
 * @module
 */
import { SingleBar } from 'cli-progress';

export interface Progress {
  update(bytes: number, rows: number): void;
  stop(): void;
}

const LINE_EVERY_MS = 5000;

export function createProgress(totalBytes: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  const rate = (rows: number) => Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000));
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: 'import [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    });
    bar.start(Math.max(1, totalBytes), 0, { rows: 0, rate: 0 });
    return {
      update: (bytes, rows) => bar.update(bytes, { rows, rate: rate(rows) }),
      stop: () => bar.stop(),
    };
  }
  let last = started;
  return {
    update(bytes, rows) {
      const now = Date.now();
      if (now - last < LINE_EVERY_MS) return;
      last = now;
      const percent = totalBytes > 0 ? Math.floor((bytes / totalBytes) * 100) : 0;
      stream.write(`import: ${percent}% · ${rows.toLocaleString('en-US')} rows · ${rate(rows).toLocaleString('en-US')} rows/s\n`);
    },
    stop() {},
  };
}
