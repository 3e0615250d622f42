CREATE TABLE "inbox_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "inbox_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"source" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"raw" text NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error" text,
	"next_attempt_at" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "inbox_events_status" CHECK ("inbox_events"."status" in ('processed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"call_key" text NOT NULL,
	"uniq" text NOT NULL,
	"direction" text,
	"external_number" text,
	"external_number_raw" text,
	"extension" text,
	"outcome" text,
	"started_at" timestamp with time zone,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"duration_seconds" integer,
	"talk_seconds" integer,
	"leg_count" integer DEFAULT 0 NOT NULL,
	"awaiting_recordings" boolean DEFAULT false NOT NULL,
	"final_seen_at" timestamp with time zone,
	"last_event_at" timestamp with time zone NOT NULL,
	"settle_due_at" timestamp with time zone,
	"settled_at" timestamp with time zone,
	"revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversations_direction" CHECK ("conversations"."direction" in ('inbound', 'outbound', 'internal')),
	CONSTRAINT "conversations_outcome" CHECK ("conversations"."outcome" in ('answered', 'missed', 'busy', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "legs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"leg_key" text NOT NULL,
	"direction" text,
	"from_raw" text,
	"to_raw" text,
	"extension" text,
	"started_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone NOT NULL,
	"disposition" text NOT NULL,
	"talk_seconds" integer DEFAULT 0 NOT NULL,
	"final" boolean DEFAULT false NOT NULL,
	"recorded" boolean,
	"version" text NOT NULL,
	"inbox_event_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "legs_direction" CHECK ("legs"."direction" in ('inbound', 'outbound', 'internal')),
	CONSTRAINT "legs_disposition" CHECK ("legs"."disposition" in ('answered', 'no_answer', 'busy', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "recordings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"recording_key" text NOT NULL,
	"leg_key" text NOT NULL,
	"origin_url" text,
	"status" text NOT NULL,
	"version" text NOT NULL,
	"inbox_event_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "recordings_status" CHECK ("recordings"."status" in ('referenced', 'absent', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "crm_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"base_url" text,
	"status" text DEFAULT 'ok' NOT NULL,
	"status_reason" text,
	"status_changed_at" timestamp with time zone,
	"access_token" text,
	"refresh_token" text,
	"token_expires_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_accounts_kind" CHECK ("crm_accounts"."kind" in ('sandbox', 'amocrm')),
	CONSTRAINT "crm_accounts_status" CHECK ("crm_accounts"."status" in ('ok', 'blocked', 'unauthorized'))
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conversation_id" uuid NOT NULL,
	"crm_account_id" text NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"uniq" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"last_error" text,
	"outcome_unknown" boolean DEFAULT false NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"crm_refs" jsonb,
	"delivered_revision" integer,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deliveries_state" CHECK ("deliveries"."state" in ('pending', 'delivered', 'failed', 'skipped'))
);
--> statement-breakpoint
ALTER TABLE "legs" ADD CONSTRAINT "legs_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legs" ADD CONSTRAINT "legs_inbox_event_id_inbox_events_id_fk" FOREIGN KEY ("inbox_event_id") REFERENCES "public"."inbox_events"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recordings" ADD CONSTRAINT "recordings_inbox_event_id_inbox_events_id_fk" FOREIGN KEY ("inbox_event_id") REFERENCES "public"."inbox_events"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_crm_account_id_crm_accounts_id_fk" FOREIGN KEY ("crm_account_id") REFERENCES "public"."crm_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "inbox_events_source_dedupe_key" ON "inbox_events" USING btree ("source","dedupe_key");--> statement-breakpoint
CREATE INDEX "inbox_events_retry_due" ON "inbox_events" USING btree ("next_attempt_at") WHERE "inbox_events"."status" = 'failed';--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_source_call_key" ON "conversations" USING btree ("source","call_key");--> statement-breakpoint
CREATE INDEX "conversations_uniq" ON "conversations" USING btree ("uniq");--> statement-breakpoint
CREATE INDEX "conversations_settle_due" ON "conversations" USING btree ("settle_due_at") WHERE "conversations"."settled_at" is null and "conversations"."final_seen_at" is not null;--> statement-breakpoint
CREATE INDEX "conversations_started_at" ON "conversations" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "conversations_external_number" ON "conversations" USING btree ("external_number");--> statement-breakpoint
CREATE UNIQUE INDEX "legs_conversation_leg_key" ON "legs" USING btree ("conversation_id","leg_key");--> statement-breakpoint
CREATE UNIQUE INDEX "recordings_conversation_recording_key" ON "recordings" USING btree ("conversation_id","recording_key");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_conversation_crm_account" ON "deliveries" USING btree ("conversation_id","crm_account_id");--> statement-breakpoint
CREATE INDEX "deliveries_due" ON "deliveries" USING btree ("crm_account_id","next_attempt_at") WHERE "deliveries"."state" = 'pending';