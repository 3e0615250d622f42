/**
 * Admin: one call's MP3; every recording of a period as a ZIP with an index.csv, streamed (the
 * archive is written as the files are read, one chunk at a time, so a year of calls costs no more
 * memory than one); and the retention purge runs.
 * @module
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import * as z from 'zod';
import { and, asc, desc, eq, gt, gte, isNull, lt, or } from 'drizzle-orm';
import { Zip, ZipPassThrough } from 'fflate';
import { DateTime } from 'luxon';
import { callAudio, conversations, recordingPurges } from '../../db/schema';
import type { AppDeps, RecordingsRuntime } from '../../deps';
import { parseInstant } from '../../domain/time';
import { auditRequest } from '../core/audit';
import { ApiError } from '../core/errors';
import { errorResponses } from '../core/schemas';

const purgesRoute = createRoute({
  method: 'get',
  path: '/v1/recordings/purges',
  tags: ['admin'],
  summary: 'Retention purge runs, newest first',
  security: [{ bearer: [] }],
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(30) }) },
  responses: {
    200: {
      description: 'Purge runs',
      content: {
        'application/json': {
          schema: z.object({
            items: z.array(
              z.object({
                ran_at: z.string(),
                purged_calls: z.number().int(),
                purged_files: z.number().int(),
                freed_bytes: z.number().int(),
                kept_pending: z.number().int().openapi({ description: 'expired, but kept: the call has not reached the CRM yet' }),
                errors: z.array(z.string()),
              }),
            ),
          }),
        },
      },
    },
    ...errorResponses(401),
  },
});

export function recordingAdminRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  const runtime = () => {
    if (!deps.recordings) throw new ApiError('recordings_off', 'recordings are not archived by this deployment (no storage configured)');
    return deps.recordings;
  };

  app.openapi(purgesRoute, async (c) => {
    const rows = await deps.db.select().from(recordingPurges).orderBy(desc(recordingPurges.ranAt)).limit(c.req.valid('query').limit);
    return c.json(
      {
        items: rows.map((r) => ({
          ran_at: r.ranAt.toISOString(),
          purged_calls: r.purgedCalls,
          purged_files: r.purgedFiles,
          freed_bytes: r.freedBytes,
          kept_pending: r.keptPending,
          errors: r.errors,
        })),
      },
      200,
    );
  });

  app.get('/v1/calls/:id/recording.mp3', async (c) => {
    const id = c.req.param('id');
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new ApiError('invalid_request', 'id: expected a call id (uuid)');
    const [audio] = await deps.db
      .select({ key: callAudio.storageKey, bytes: callAudio.bytes, startedAt: conversations.startedAt })
      .from(callAudio)
      .innerJoin(conversations, eq(conversations.id, callAudio.conversationId))
      .where(and(eq(callAudio.conversationId, id), isNull(callAudio.purgedAt)));
    if (!audio) throw new ApiError('not_found', `call ${id} has no archived recording`);
    const object = await runtime().storage.get(audio.key);
    if (!object) throw new ApiError('not_found', `the recording of call ${id} is missing from storage`);
    // Recorded before the first byte leaves: a download the trail cannot record does not happen.
    await auditRequest(deps, c, 'recording.download', id, { bytes: audio.bytes, from: 'api' });
    return new Response(object.body, {
      headers: {
        'Content-Type': 'audio/mpeg',
        'Content-Length': String(audio.bytes),
        'Content-Disposition': `attachment; filename="call-${id}.mp3"`,
        'Cache-Control': 'no-store',
      },
    });
  });

  app.get('/v1/recordings/export.zip', async (c) => {
    const zone = deps.config.time_zone;
    const bound = (name: string) => {
      const value = c.req.query(name);
      if (!value) throw new ApiError('invalid_request', `${name}: required (an ISO time or a date in ${zone})`);
      const parsed = parseInstant(value, zone);
      if (!parsed.ok) throw new ApiError('invalid_request', `${name}: ${parsed.message}`);
      return parsed.value;
    };
    const from = bound('from');
    const to = bound('to');
    if (to <= from) throw new ApiError('invalid_request', 'to: must be after from');
    const storage = runtime().storage;
    await auditRequest(deps, c, 'export.recordings', null, { from: from.toISOString(), to: to.toISOString() });
    const stamp = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat('yyyy-MM-dd');
    return new Response(exportZip(deps, storage, from, to), {
      headers: {
        'Content-Type': 'application/zip',
        'Content-Disposition': `attachment; filename="calltrail-recordings-${stamp(from)}-${stamp(new Date(to.getTime() - 1))}.zip"`,
        'Cache-Control': 'no-store',
      },
    });
  });
  return app;
}

/**
 * The ZIP as a stream: entries stored (MP3 does not compress), index.csv last. The writer waits
 * whenever the client is behind (back-pressure through the stream's byte queue), so memory
 * stays at about one megabyte whatever the period.
 */
function exportZip(deps: AppDeps, storage: RecordingsRuntime['storage'], from: Date, to: Date): ReadableStream<Uint8Array> {
  let resume: (() => void) | null = null;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const zip = new Zip((error, chunk, final) => {
          if (error) return controller.error(error);
          controller.enqueue(chunk);
          if (final) controller.close();
        });
        const room = () => (controller.desiredSize === null || controller.desiredSize > 0 ? Promise.resolve() : new Promise<void>((r) => (resume = r)));
        writeExport(deps, storage, from, to, zip, room).catch((error) => {
          deps.log.error('recording export failed', { error });
          controller.error(error);
        });
      },
      pull() {
        resume?.();
        resume = null;
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 1024 * 1024 }),
  );
}

async function writeExport(deps: AppDeps, storage: RecordingsRuntime['storage'], from: Date, to: Date, zip: Zip, room: () => Promise<void>) {
  const zone = deps.config.time_zone;
  const index = ['file,started_at,sequence,number,extension,direction,outcome,talk_seconds,duration_seconds,call_id'];
  let sequence = 0;
  let cursor: { at: Date; id: string } | null = null;
  for (;;) {
    const page = await deps.db
      .select({
        id: conversations.id,
        at: conversations.startedAt,
        number: conversations.externalNumber,
        raw: conversations.externalNumberRaw,
        extension: conversations.extension,
        direction: conversations.direction,
        outcome: conversations.outcome,
        talk: conversations.talkSeconds,
        key: callAudio.storageKey,
        duration: callAudio.durationMs,
      })
      .from(callAudio)
      .innerJoin(conversations, eq(conversations.id, callAudio.conversationId))
      .where(
        and(
          isNull(callAudio.purgedAt),
          gte(conversations.startedAt, from),
          lt(conversations.startedAt, to),
          cursor ? or(gt(conversations.startedAt, cursor.at), and(eq(conversations.startedAt, cursor.at), gt(conversations.id, cursor.id))) : undefined,
        ),
      )
      .orderBy(asc(conversations.startedAt), asc(conversations.id))
      .limit(200);
    for (const call of page) {
      const object = await storage.get(call.key);
      if (!object || !call.at) continue;
      sequence++;
      const local = DateTime.fromJSDate(call.at, { zone });
      const number = (call.number ?? call.raw ?? 'unknown').replace(/[^0-9+]/g, '') || 'unknown';
      const file = `${local.toFormat('yyyy-MM-dd_HH-mm-ss')}_${String(sequence).padStart(5, '0')}_${number}_${call.extension ?? 'none'}.mp3`;
      const entry = new ZipPassThrough(file);
      entry.mtime = call.at;
      zip.add(entry);
      const reader = object.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        entry.push(value);
        await room();
      }
      entry.push(new Uint8Array(0), true);
      index.push(
        [
          file,
          local.toISO(),
          sequence,
          number,
          call.extension ?? '',
          call.direction ?? '',
          call.outcome ?? '',
          call.talk ?? '',
          Math.round(call.duration / 1000),
          call.id,
        ]
          .map(csvCell)
          .join(','),
      );
    }
    const last = page.at(-1);
    if (!last || page.length < 200 || !last.at) break;
    cursor = { at: last.at, id: last.id };
  }
  const csv = new ZipPassThrough('index.csv');
  zip.add(csv);
  csv.push(new TextEncoder().encode(`${index.join('\r\n')}\r\n`), true);
  zip.end();
}

function csvCell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
