CREATE TABLE "dead_letters" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "dead_letters_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"queue" text NOT NULL,
	"message_id" text NOT NULL,
	"summary" text NOT NULL,
	"attempts" integer,
	"error" text,
	"first_failed_at" timestamp with time zone NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL,
	"died_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "inbox_events" DROP CONSTRAINT "inbox_events_status";--> statement-breakpoint
DROP INDEX "inbox_events_retry_due";--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_message_id" ON "dead_letters" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "dead_letters_died_at" ON "dead_letters" USING btree ("died_at");--> statement-breakpoint
CREATE INDEX "inbox_events_retry_due" ON "inbox_events" USING btree ("next_attempt_at") WHERE "inbox_events"."status" in ('failed', 'queued');--> statement-breakpoint
ALTER TABLE "inbox_events" ADD CONSTRAINT "inbox_events_status" CHECK ("inbox_events"."status" in ('processed', 'failed', 'queued'));