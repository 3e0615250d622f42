CREATE TABLE "delivery_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "delivery_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" uuid NOT NULL,
	"step" text NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer,
	"detail" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "delivery_attempts_step" CHECK ("delivery_attempts"."step" in ('log', 'contact', 'unsorted', 'task', 'update')),
	CONSTRAINT "delivery_attempts_outcome" CHECK ("delivery_attempts"."outcome" in ('ok', 'error', 'unknown'))
);
--> statement-breakpoint
ALTER TABLE "crm_accounts" ADD COLUMN "token_refreshed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "step" text DEFAULT 'log' NOT NULL;--> statement-breakpoint
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "delivery_attempts_delivery" ON "delivery_attempts" USING btree ("delivery_id","at");--> statement-breakpoint
CREATE INDEX "deliveries_state" ON "deliveries" USING btree ("crm_account_id","state");--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_step" CHECK ("deliveries"."step" in ('log', 'contact', 'unsorted', 'task', 'update'));