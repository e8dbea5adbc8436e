ALTER TABLE "jobs" ADD COLUMN "phase" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "request" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "request_key" text;--> statement-breakpoint
CREATE INDEX "jobs_request_key_idx" ON "jobs" USING btree ("request_key");