/**
 * The promise of the product, in a real browser: a PBX call with a WAV recording, posted to a
 * fresh service on its embedded defaults, ends up on the sandbox amoCRM contact's timeline with
 * a link that Chromium's audio element plays as MP3 — and seeks, and plays at 1.5×.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, SECRET } from '#test/app';
import { launchChromium } from '#test/browser';
import { callEnded } from '#test/events';
import { fileServer, toneWav, type FileServer } from '#test/pbx-files';
import { postSigned, startService, type Service } from '#test/process';

let dir: string;
let pbx: FileServer;
let service: Service;
let browser: Browser;

beforeAll(async () => {
  // Chromium starts while the service does.
  const launching = launchChromium((b) => (browser = b), ['--autoplay-policy=no-user-gesture-required']);
  dir = mkdtempSync(join(tmpdir(), 'calltrail-browser-'));
  pbx = await fileServer();
  const config = join(dir, 'calltrail.json');
  writeFileSync(config, JSON.stringify({ recordings: { allowed_hosts: { generic: [pbx.host] }, allow_private_hosts: true } }));
  service = await startService({ DATA_DIR: dir, GENERIC_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN, CONFIG_FILE: config, LOG_LEVEL: 'warn' });
  await launching;
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await pbx?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a recording in the CRM note', () => {
  it('plays in Chromium as MP3, seeks and plays at 1.5×', async () => {
    pbx.put('/monitor/call-1.wav', toneWav(8));
    const now = Math.floor(Date.now() / 1000);
    const res = await postSigned(
      service.url,
      callEnded({
        call_id: 'browser-1',
        started_at: now - 30,
        answered_at: now - 25,
        ended_at: now - 1,
        recording: { id: 'r1', url: pbx.url('/monitor/call-1.wav') },
      }),
      SECRET,
    );
    expect(res.status).toBe(202);

    const page = await browser.newPage();
    // A webhook secret is set, so the sandbox CRM's page wants the admin token.
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${ADMIN_TOKEN}` });
    const ranges: { status: number; range: string | undefined }[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/recordings/')) ranges.push({ status: r.status(), range: r.request().headers().range });
    });
    // The sandbox amoCRM's timeline, as a rep would see the contact.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await page.goto(`${service.url}/sandbox/amocrm/`);
      if ((await page.locator('audio').count()) > 0) break;
      if (Date.now() > deadline) throw new Error('the call never reached the sandbox timeline with a recording');
      await page.waitForTimeout(250);
    }
    expect(await page.locator('h3', { hasText: 'Ivan Petrov' }).count()).toBe(1);

    const audio = page.locator('audio').first();
    const played = await audio.evaluate(async (el: HTMLAudioElement) => {
      const event = (name: string) =>
        new Promise<void>((resolve, reject) => {
          el.addEventListener(name, () => resolve(), { once: true });
          el.addEventListener('error', () => reject(new Error(`media error ${el.error?.code}: ${el.error?.message}`)), { once: true });
        });
      el.preload = 'auto';
      el.load();
      await event('loadedmetadata');
      const duration = el.duration;
      el.muted = true;
      el.playbackRate = 1.5;
      await el.play();
      await new Promise((r) => setTimeout(r, 400));
      const playing = !el.paused && el.currentTime > 0;
      const seeking = event('seeked');
      el.currentTime = 6;
      await seeking;
      const afterSeek = el.currentTime;
      el.pause();
      return { duration, playing, afterSeek, rate: el.playbackRate, type: el.currentSrc.split('?')[0] };
    });
    expect(played.type).toMatch(/\/recordings\/[0-9a-f-]{36}\.mp3$/);
    expect(played.duration).toBeGreaterThan(7.5);
    expect(played.duration).toBeLessThan(8.5);
    expect(played.playing).toBe(true);
    expect(played.rate).toBe(1.5);
    expect(played.afterSeek).toBeGreaterThanOrEqual(5.9);
    // The browser streamed it by ranges and got partial content back.
    expect(ranges.some((r) => r.status === 206 && r.range?.startsWith('bytes='))).toBe(true);
  });
});
