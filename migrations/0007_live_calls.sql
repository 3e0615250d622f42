CREATE TABLE "caller_cache" (
	"account" text NOT NULL,
	"phone" text NOT NULL,
	"card" jsonb,
	"fetched_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone NOT NULL,
	CONSTRAINT "caller_cache_account_phone_pk" PRIMARY KEY("account","phone")
);
--> statement-breakpoint
CREATE TABLE "live_calls" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"call_key" text NOT NULL,
	"state" text NOT NULL,
	"direction" text,
	"from_number" text,
	"to_number" text,
	"extensions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"answered_by" text,
	"line" text,
	"started_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"crm_ref" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "live_calls_state" CHECK ("live_calls"."state" in ('ringing', 'answered', 'ended')),
	CONSTRAINT "live_calls_direction" CHECK ("live_calls"."direction" in ('inbound', 'outbound', 'internal'))
);
--> statement-breakpoint
CREATE TABLE "live_pops" (
	"live_call_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"extension" text,
	"state" text NOT NULL,
	"reason" text,
	"latency_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "live_pops_live_call_id_user_id_pk" PRIMARY KEY("live_call_id","user_id"),
	CONSTRAINT "live_pops_state" CHECK ("live_pops"."state" in ('sending', 'shown', 'late', 'failed', 'hidden'))
);
--> statement-breakpoint
CREATE TABLE "originations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"extension" text NOT NULL,
	"user_id" text,
	"phone" text NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"vendor_ref" text,
	"crm_ref" text,
	"requested_at" timestamp with time zone NOT NULL,
	CONSTRAINT "originations_state" CHECK ("originations"."state" in ('requested', 'refused'))
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "line" text;--> statement-breakpoint
ALTER TABLE "live_pops" ADD CONSTRAINT "live_pops_live_call_id_live_calls_id_fk" FOREIGN KEY ("live_call_id") REFERENCES "public"."live_calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "caller_cache_fetched" ON "caller_cache" USING btree ("fetched_at");--> statement-breakpoint
CREATE UNIQUE INDEX "live_calls_source_call_key" ON "live_calls" USING btree ("source","call_key");--> statement-breakpoint
CREATE INDEX "live_calls_active" ON "live_calls" USING btree ("started_at") WHERE "live_calls"."state" <> 'ended';--> statement-breakpoint
CREATE INDEX "originations_match" ON "originations" USING btree ("extension","phone","requested_at");