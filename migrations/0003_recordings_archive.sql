CREATE TABLE "call_audio" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"storage_key" text NOT NULL,
	"sha256" text NOT NULL,
	"bytes" integer NOT NULL,
	"duration_ms" integer NOT NULL,
	"built_from" jsonb NOT NULL,
	"transcoded" boolean NOT NULL,
	"expires_at" timestamp with time zone,
	"purged_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "app_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recording_purges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	"purged_calls" integer NOT NULL,
	"purged_files" integer NOT NULL,
	"freed_bytes" bigint NOT NULL,
	"kept_pending" integer NOT NULL,
	"errors" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "audio_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "fetch_state" text DEFAULT 'skipped' NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "archive_key" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "sha256" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "bytes" integer;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "format" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "call_audio" ADD CONSTRAINT "call_audio_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "call_audio_conversation" ON "call_audio" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "conversations_audio_due" ON "conversations" USING btree ("audio_due_at") WHERE "conversations"."audio_due_at" is not null;--> statement-breakpoint
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_fetch_state" CHECK ("recordings"."fetch_state" in ('waiting', 'archived', 'failed', 'skipped', 'purged'));--> statement-breakpoint
-- Recordings received before archiving existed are fetched too (at the archive step's pace).
UPDATE "recordings" SET "fetch_state" = 'waiting', "next_fetch_at" = coalesce("next_fetch_at", now()) WHERE "status" = 'referenced' AND ("origin_url" IS NOT NULL OR "vendor_ref" IS NOT NULL);
