CREATE TABLE "crm_budget_requests" (
	"account" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_budget_state" (
	"account" text PRIMARY KEY NOT NULL,
	"paused_until" timestamp with time zone,
	"scale" double precision DEFAULT 1 NOT NULL,
	"penalized_at" timestamp with time zone,
	"live_until" timestamp with time zone,
	"delivery_until" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "crm_budget_requests_account_sent" ON "crm_budget_requests" USING btree ("account","sent_at");