CREATE TABLE "api_keys" (
	"platform" text PRIMARY KEY NOT NULL,
	"ciphertext" "bytea" NOT NULL,
	"iv" "bytea" NOT NULL,
	"auth_tag" "bytea" NOT NULL,
	"last4" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"validated_at" timestamp with time zone,
	"valid" boolean,
	"validation_message" text
);
--> statement-breakpoint
CREATE TABLE "job_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"type" text NOT NULL,
	"job" jsonb,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_files" (
	"id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"index" integer NOT NULL,
	"url" text NOT NULL,
	"name" text NOT NULL,
	"relative_path" text NOT NULL,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"bytes_total" bigint,
	"expected_sha256" text,
	"sha256" text,
	"status" text NOT NULL,
	"validator" jsonb,
	"segments" jsonb,
	"credential" text,
	"format" text,
	"revision" text,
	"error" jsonb,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"queue_order" bigserial NOT NULL,
	"error" jsonb,
	"stalled" jsonb,
	"bandwidth_limit_bps" bigint,
	"speed_bps" double precision DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"on_file_failure" text DEFAULT 'keep' NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "model_metadata" (
	"id" text PRIMARY KEY NOT NULL,
	"relative_path" text NOT NULL,
	"sha256" text,
	"source_kind" text,
	"source_model_id" text,
	"source_version_id" text,
	"metadata" jsonb,
	"preview_path" text,
	"update_status" text DEFAULT 'unknown' NOT NULL,
	"latest_version_id" text,
	"checked_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refresh_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"run_after" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "job_files" ADD CONSTRAINT "job_files_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_events_job_idx" ON "job_events" USING btree ("job_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "job_files_job_index_idx" ON "job_files" USING btree ("job_id","index");--> statement-breakpoint
CREATE INDEX "job_files_relative_path_idx" ON "job_files" USING btree ("relative_path");--> statement-breakpoint
CREATE INDEX "jobs_claim_order_idx" ON "jobs" USING btree ("status","priority" DESC NULLS LAST,"queue_order");--> statement-breakpoint
CREATE INDEX "jobs_created_idx" ON "jobs" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "jobs_finished_idx" ON "jobs" USING btree ("status","finished_at");--> statement-breakpoint
CREATE UNIQUE INDEX "model_metadata_relative_path_idx" ON "model_metadata" USING btree ("relative_path");--> statement-breakpoint
CREATE INDEX "model_metadata_sha256_idx" ON "model_metadata" USING btree ("sha256");--> statement-breakpoint
CREATE INDEX "refresh_tasks_due_idx" ON "refresh_tasks" USING btree ("status","run_after");--> statement-breakpoint
CREATE INDEX "refresh_tasks_target_idx" ON "refresh_tasks" USING btree ("kind","target");