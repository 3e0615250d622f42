CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"role" text,
	"action" text NOT NULL,
	"subject" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ip" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erasures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"requested_by" text NOT NULL,
	"salt" text NOT NULL,
	"phone_hash" text NOT NULL,
	"phone_last4" text NOT NULL,
	"calls_deleted" integer NOT NULL,
	"recordings_deleted" integer NOT NULL,
	"files_deleted" integer NOT NULL,
	"bodies_deleted" integer NOT NULL,
	"bodies_redacted" integer NOT NULL,
	"other_rows" integer NOT NULL,
	"kept_on_hold" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"role" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sign_in_failures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"extension" text,
	"session_epoch" integer DEFAULT 0 NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role" CHECK ("users"."role" in ('owner', 'admin', 'integrator', 'supervisor', 'rep')),
	CONSTRAINT "users_email_lower" CHECK ("users"."email" = lower("users"."email"))
);
--> statement-breakpoint
CREATE TABLE "recording_link_revocations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"revoked_before" timestamp with time zone NOT NULL,
	"revoked_by" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recording_policies" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" bigint,
	"department" text,
	"line" text,
	"direction" text,
	"action" text NOT NULL,
	"note" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_by" text,
	"removed_at" timestamp with time zone,
	CONSTRAINT "recording_policies_action" CHECK ("recording_policies"."action" in ('record', 'skip')),
	CONSTRAINT "recording_policies_direction" CHECK ("recording_policies"."direction" in ('inbound', 'outbound', 'internal'))
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "legal_hold_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "legal_hold_by" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "legal_hold_reason" text;--> statement-breakpoint
CREATE INDEX "audit_log_action_at" ON "audit_log" USING btree ("action","at");--> statement-breakpoint
CREATE INDEX "audit_log_subject" ON "audit_log" USING btree ("subject");--> statement-breakpoint
CREATE INDEX "erasures_requested_at" ON "erasures" USING btree ("requested_at");--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "sign_in_failures_key_at" ON "sign_in_failures" USING btree ("key","at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email" ON "users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "recording_link_revocations_scope" ON "recording_link_revocations" USING btree ("scope","revoked_before");--> statement-breakpoint
CREATE INDEX "recording_policies_active" ON "recording_policies" USING btree ("created_at") WHERE "recording_policies"."removed_at" is null;--> statement-breakpoint
CREATE INDEX "conversations_ended_at" ON "conversations" USING btree ("ended_at");