/**
 * Columns as the database holds them, for tests of what the stores' own reads cannot show: a SQL
 * NULL and a JSON null read back alike, and the local file index never reads a file's source,
 * metadata or update check.
 */
import { eq, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { handleOf } from '../database-handles';
import type { ModeldockDatabase } from '../open-database';
import { jobFiles, modelMetadata } from '../schema';

const asText = (column: AnyPgColumn) => sql<string | null>`${column}::text`;

/** A file row's patchable columns as text (SQL NULL as null, a JSON null as 'null'); null when absent. */
export async function storedFileColumns(
  database: ModeldockDatabase,
  fileId: string,
): Promise<Record<string, string | null> | null> {
  const [row] = await handleOf(database)
    .select({
      status: asText(jobFiles.status),
      bytesDone: asText(jobFiles.bytesDone),
      bytesTotal: asText(jobFiles.bytesTotal),
      sha256: asText(jobFiles.sha256),
      expectedSha256: asText(jobFiles.expectedSha256),
      validator: asText(jobFiles.validator),
      segments: asText(jobFiles.segments),
      format: asText(jobFiles.format),
      error: asText(jobFiles.error),
      url: asText(jobFiles.url),
      revision: asText(jobFiles.revision),
      updatedAt: sql<string>`(extract(epoch from ${jobFiles.updatedAt}) * 1000)::bigint::text`,
    })
    .from(jobFiles)
    .where(eq(jobFiles.id, fileId));
  return row ?? null;
}

/** What the index keeps about a file's content beside its hash (written by features to come). */
export interface IndexedFileDetails {
  sourceModelId: string | null;
  sourceVersionId: string | null;
  metadata: Record<string, unknown> | null;
  previewPath: string | null;
  updateStatus: string;
  latestVersionId: string | null;
  checkedAt: Date | null;
}

const detailColumns = {
  sourceModelId: modelMetadata.sourceModelId,
  sourceVersionId: modelMetadata.sourceVersionId,
  metadata: modelMetadata.metadata,
  previewPath: modelMetadata.previewPath,
  updateStatus: modelMetadata.updateStatus,
  latestVersionId: modelMetadata.latestVersionId,
  checkedAt: modelMetadata.checkedAt,
};

export async function setIndexedFileDetails(
  database: ModeldockDatabase,
  relativePath: string,
  details: IndexedFileDetails,
): Promise<void> {
  await handleOf(database)
    .update(modelMetadata)
    .set(details)
    .where(eq(modelMetadata.relativePath, relativePath));
}

export async function indexedFileDetails(
  database: ModeldockDatabase,
  relativePath: string,
): Promise<IndexedFileDetails | null> {
  const [row] = await handleOf(database)
    .select(detailColumns)
    .from(modelMetadata)
    .where(eq(modelMetadata.relativePath, relativePath));
  return row ?? null;
}
