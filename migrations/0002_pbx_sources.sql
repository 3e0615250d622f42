CREATE TABLE "pbx_cursors" (
	"source" text PRIMARY KEY NOT NULL,
	"position" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "vendor_ref" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "fetch_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "next_fetch_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "fetch_error" text;--> statement-breakpoint
CREATE INDEX "recordings_fetch_due" ON "recordings" USING btree ("next_fetch_at") WHERE "recordings"."next_fetch_at" is not null;