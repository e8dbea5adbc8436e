CREATE TABLE "library_metadata" (
	"entry_id" text PRIMARY KEY NOT NULL,
	"sha256" text,
	"completeness" text,
	"name" text,
	"version_name" text,
	"type" text,
	"base_model" text,
	"trained_words" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"description" text,
	"creator" text,
	"nsfw_level" integer,
	"source_url" text,
	"missing" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"sources" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"described_at" timestamp with time zone,
	"civitai" jsonb,
	"hugging_face" jsonb,
	"raw" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"preview_kind" text,
	"preview_thumbnail" text,
	"preview_beside_model" text,
	"preview_updated_at" timestamp with time zone,
	"update_status" text,
	"update_latest" jsonb,
	"update_checked_at" timestamp with time zone,
	"update_note" text,
	"civitai_not_found_at" timestamp with time zone,
	"sidecars" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "library_metadata" ADD CONSTRAINT "library_metadata_entry_id_model_metadata_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."model_metadata"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "library_metadata_completeness_idx" ON "library_metadata" USING btree ("completeness");--> statement-breakpoint
CREATE INDEX "library_metadata_update_status_idx" ON "library_metadata" USING btree ("update_status");