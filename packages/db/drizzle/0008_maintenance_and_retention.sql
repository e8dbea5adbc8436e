CREATE TABLE "maintenance_runs" (
	"kind" text PRIMARY KEY NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"last_started_at" timestamp with time zone,
	"last_finished_at" timestamp with time zone,
	"task_id" text,
	"user_initiated" boolean DEFAULT false NOT NULL,
	"baseline" jsonb,
	"last_report" jsonb,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refresh_failures" (
	"entry_id" text PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"count" integer NOT NULL,
	"last_failed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "refresh_failures" ADD CONSTRAINT "refresh_failures_entry_id_model_metadata_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."model_metadata"("id") ON DELETE cascade ON UPDATE no action;