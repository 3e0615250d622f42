ALTER TABLE "inbox_events" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "direction_rule" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "external_number_note" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "legs" ADD COLUMN "direction_rule" text;--> statement-breakpoint
ALTER TABLE "legs" ADD COLUMN "line" text;--> statement-breakpoint
ALTER TABLE "legs" ADD COLUMN "links" text[];--> statement-breakpoint
CREATE INDEX "legs_leg_key" ON "legs" USING btree ("leg_key");--> statement-breakpoint
CREATE INDEX "legs_links" ON "legs" USING gin ("links");--> statement-breakpoint
-- FreePBX's cdr rows are Asterisk CDRs: their conversations now share the asterisk key space, so a
-- call read from the poller and from Master.csv (or AMI) is one conversation. Existing rows keep
-- their uniq (the CRM notes stay matched); a key already taken under asterisk is left as it was.
UPDATE "conversations" AS f SET "source" = 'asterisk'
 WHERE f."source" = 'freepbx'
   AND NOT EXISTS (SELECT 1 FROM "conversations" a WHERE a."source" = 'asterisk' AND a."call_key" = f."call_key");
