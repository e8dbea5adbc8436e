ALTER TABLE "refresh_tasks" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "refresh_tasks" CASCADE;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "status" text DEFAULT 'present' NOT NULL;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "folder" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "name" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "format" text DEFAULT 'other' NOT NULL;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "inode" text;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "source" jsonb;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "job_id" text;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "scan_error" jsonb;--> statement-breakpoint
CREATE INDEX "model_metadata_status_name_idx" ON "model_metadata" USING btree ("status","name","id");--> statement-breakpoint
CREATE INDEX "model_metadata_status_size_idx" ON "model_metadata" USING btree ("status","size_bytes","id");--> statement-breakpoint
CREATE INDEX "model_metadata_status_added_idx" ON "model_metadata" USING btree ("status","created_at","id");