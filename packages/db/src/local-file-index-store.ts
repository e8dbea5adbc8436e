/**
 * The engine's LocalFileIndex over the `model_metadata` table: one row per file under the models
 * root, keyed by its relative path, with its SHA-256 and the size and modification time it had when
 * hashed. Rows another feature created without a hash yet are invisible here until one is recorded.
 * When a path is recorded with a different hash, what was known about the old content (source,
 * metadata, preview, update check) is dropped: it described another file.
 */
import { and, asc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import {
  libraryPathFacts,
  checkIndexEntry,
  checkIndexPageLimit,
  checkIndexPath,
  checkIndexSha256,
} from '@modeldock/engine';
import type { IndexedFile, LocalFileIndex } from '@modeldock/engine';
import type { Database } from './database';
import { withDatabaseErrors } from './database-errors';
import { modelMetadata } from './schema';
import { createTimeOrderedId } from './time-ordered-id';

/** Keeps `IN (…)` lists far below PostgreSQL's 65 535 bind parameters. */
const PATH_CHUNK = 1000;

const indexedColumns = {
  relativePath: modelMetadata.relativePath,
  sha256: modelMetadata.sha256,
  sizeBytes: modelMetadata.sizeBytes,
  mtimeMs: modelMetadata.mtimeMs,
  sourceKind: modelMetadata.sourceKind,
  updatedAt: modelMetadata.updatedAt,
};

type IndexedRow = {
  relativePath: string;
  sha256: string | null;
  sizeBytes: number | null;
  mtimeMs: number | null;
  sourceKind: string | null;
  updatedAt: Date;
};

function toIndexedFile(row: IndexedRow): IndexedFile {
  return {
    relativePath: row.relativePath,
    sha256: row.sha256!,
    size: row.sizeBytes!,
    mtimeMs: row.mtimeMs!,
    sourceKind: row.sourceKind,
    indexedAt: row.updatedAt,
  };
}

const isIndexed = and(
  eq(modelMetadata.status, 'present'),
  isNotNull(modelMetadata.sha256),
  isNotNull(modelMetadata.sizeBytes),
  isNotNull(modelMetadata.mtimeMs),
);

/** The stored value while the hash stays the same, else `otherwise` (SET expressions see the row as it was). */
function keptForSameContent(column: SQL, otherwise: SQL = sql`null`): SQL {
  return sql`case when ${modelMetadata.sha256} is not distinct from excluded.sha256 then ${column} else ${otherwise} end`;
}

/** Inserts or replaces what is known about each path (paths must be distinct). */
async function upsertIndexed(
  db: Database,
  files: readonly Omit<IndexedFile, 'indexedAt'>[],
  now: Date,
): Promise<void> {
  if (files.length === 0) return;
  await db
    .insert(modelMetadata)
    .values(
      files.map((file) => ({
        id: createTimeOrderedId(now.getTime()),
        relativePath: file.relativePath,
        ...libraryPathFacts(file.relativePath),
        status: 'present' as const,
        sha256: file.sha256,
        sizeBytes: file.size,
        mtimeMs: file.mtimeMs,
        inode: file.inode ?? null,
        sourceKind: file.sourceKind,
        source: file.source ?? null,
        jobId: file.jobId ?? null,
        scanError: null,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoUpdate({
      target: modelMetadata.relativePath,
      set: {
        sizeBytes: sql`excluded.size_bytes`,
        mtimeMs: sql`excluded.mtime_ms`,
        inode: sql`excluded.inode`,
        status: sql`excluded.status`,
        scanError: sql`null`,
        folder: sql`excluded.folder`,
        name: sql`excluded.name`,
        format: sql`excluded.format`,
        listed: sql`excluded.listed`,
        // A download says where the bytes came from; a file found again keeps what was known of them.
        source: sql`coalesce(excluded.source, ${keptForSameContent(sql`${modelMetadata.source}`)})`,
        jobId: sql`coalesce(excluded.job_id, ${keptForSameContent(sql`${modelMetadata.jobId}`)})`,
        sourceKind: sql`excluded.source_kind`,
        sourceModelId: keptForSameContent(sql`${modelMetadata.sourceModelId}`),
        sourceVersionId: keptForSameContent(sql`${modelMetadata.sourceVersionId}`),
        metadata: keptForSameContent(sql`${modelMetadata.metadata}`),
        previewPath: keptForSameContent(sql`${modelMetadata.previewPath}`),
        latestVersionId: keptForSameContent(sql`${modelMetadata.latestVersionId}`),
        checkedAt: keptForSameContent(sql`${modelMetadata.checkedAt}`),
        updateStatus: keptForSameContent(sql`${modelMetadata.updateStatus}`, sql`'unknown'`),
        sha256: sql`excluded.sha256`,
        updatedAt: now,
      },
    });
}

export function createLocalFileIndexStore(db: Database): LocalFileIndex {
  const select = () => db.select(indexedColumns).from(modelMetadata);

  return {
    async record(file, now) {
      return withDatabaseErrors('recording a file in the local file index', async () => {
        checkIndexEntry(file);
        await upsertIndexed(db, [file], now);
      });
    },

    async recordMany(files, now) {
      return withDatabaseErrors('recording files in the local file index', async () => {
        files.forEach(checkIndexEntry);
        // One statement cannot touch a row twice (ON CONFLICT): the last entry of a path wins.
        const byPath = new Map(files.map((file) => [file.relativePath, file]));
        const unique = [...byPath.values()];
        for (let start = 0; start < unique.length; start += PATH_CHUNK)
          await upsertIndexed(db, unique.slice(start, start + PATH_CHUNK), now);
      });
    },

    async get(relativePath) {
      return withDatabaseErrors('reading the local file index', async () => {
        checkIndexPath(relativePath);
        const [row] = await select().where(
          and(eq(modelMetadata.relativePath, relativePath), isIndexed),
        );
        return row ? toIndexedFile(row) : null;
      });
    },

    async findBySha256(sha256) {
      return withDatabaseErrors('looking for a file in the local file index', async () => {
        checkIndexSha256(sha256);
        const rows = await select()
          .where(and(eq(modelMetadata.sha256, sha256), isIndexed))
          .orderBy(asc(modelMetadata.relativePath));
        return rows.map(toIndexedFile);
      });
    },

    async list(afterPath, limit) {
      return withDatabaseErrors('listing the local file index', async () => {
        checkIndexPageLimit(limit);
        if (afterPath !== null) checkIndexPath(afterPath);
        const rows = await select()
          .where(
            afterPath === null
              ? isIndexed
              : and(isIndexed, gt(modelMetadata.relativePath, afterPath)),
          )
          .orderBy(asc(modelMetadata.relativePath))
          .limit(limit);
        return rows.map(toIndexedFile);
      });
    },

    async forget(relativePaths) {
      return withDatabaseErrors('removing files from the local file index', async () => {
        relativePaths.forEach(checkIndexPath);
        let removed = 0;
        for (let start = 0; start < relativePaths.length; start += PATH_CHUNK) {
          const chunk = relativePaths.slice(start, start + PATH_CHUNK);
          const rows = await db
            .delete(modelMetadata)
            .where(inArray(modelMetadata.relativePath, chunk))
            .returning({ relativePath: modelMetadata.relativePath });
          removed += rows.length;
        }
        return removed;
      });
    },
  };
}
