CREATE TABLE "used_one_time_tokens" (
	"jti" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "amocrm_user_id" integer;--> statement-breakpoint
CREATE INDEX "used_one_time_tokens_expires_at" ON "used_one_time_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_amocrm_user" ON "users" USING btree ("amocrm_user_id");--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_amocrm_user_positive" CHECK ("users"."amocrm_user_id" > 0);