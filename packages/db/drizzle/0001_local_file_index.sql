ALTER TABLE "model_metadata" ADD COLUMN "size_bytes" bigint;--> statement-breakpoint
ALTER TABLE "model_metadata" ADD COLUMN "mtime_ms" double precision;