CREATE TABLE "reconcile_crm_notes" (
	"run_id" uuid NOT NULL,
	"uniq" text NOT NULL,
	"note_id" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"has_link" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconcile_findings" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reconcile_findings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"conversation_id" uuid,
	"kind" text NOT NULL,
	"action" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resolved" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reconcile_findings_kind" CHECK ("reconcile_findings"."kind" in ('missing_in_crm', 'duplicate_in_crm', 'missing_recording', 'failed', 'skipped', 'lost_webhook')),
	CONSTRAINT "reconcile_findings_action" CHECK ("reconcile_findings"."action" in ('repushed', 'note_updated', 'retried', 'listed', 'ingested'))
);
--> statement-breakpoint
CREATE TABLE "reconcile_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"progress" jsonb NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	"crm_notes" integer DEFAULT 0 NOT NULL,
	"crm_requests" integer DEFAULT 0 NOT NULL,
	"gaps_remaining" integer,
	"work_ms" bigint DEFAULT 0 NOT NULL,
	"error" text,
	"alerted_at" timestamp with time zone,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reconcile_runs_status" CHECK ("reconcile_runs"."status" in ('running', 'paused', 'done', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "reconcile_crm_notes" ADD CONSTRAINT "reconcile_crm_notes_run_id_reconcile_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."reconcile_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconcile_findings" ADD CONSTRAINT "reconcile_findings_run_id_reconcile_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."reconcile_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconcile_findings" ADD CONSTRAINT "reconcile_findings_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reconcile_crm_notes_key" ON "reconcile_crm_notes" USING btree ("run_id","entity_type","note_id");--> statement-breakpoint
CREATE INDEX "reconcile_crm_notes_uniq" ON "reconcile_crm_notes" USING btree ("run_id","uniq");--> statement-breakpoint
CREATE INDEX "reconcile_findings_run" ON "reconcile_findings" USING btree ("run_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "reconcile_runs_live_window" ON "reconcile_runs" USING btree ("window_from","window_to") WHERE "reconcile_runs"."status" in ('running', 'paused');--> statement-breakpoint
CREATE INDEX "reconcile_runs_started" ON "reconcile_runs" USING btree ("started_at");