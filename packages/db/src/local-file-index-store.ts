/**
 * The engine's LocalFileIndex over the `model_metadata` table: one row per file under the models
 * root, keyed by its relative path, with its SHA-256 and the size and modification time it had when
 * hashed. Rows another feature created without a hash yet are invisible here until one is recorded.
 * When a path is recorded with a different hash, what was known about the old content (source,
 * metadata, preview, update check) is dropped: it described another file.
 */
import { and, asc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { ModeldockError } from '@modeldock/engine';
import type { IndexedFile, LocalFileIndex } from '@modeldock/engine';
import type { Database } from './database';
import { withDatabaseErrors } from './database-errors';
import { modelMetadata } from './schema';
import { createTimeOrderedId } from './time-ordered-id';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_PATH_LENGTH = 1024;
/** Keeps `IN (…)` lists far below PostgreSQL's 65 535 bind parameters. */
const PATH_CHUNK = 1000;
const MAX_PAGE = 1000;

function invalid(message: string): ModeldockError {
  return new ModeldockError('INVALID_INPUT', message);
}

function checkPath(relativePath: string): void {
  if (
    typeof relativePath !== 'string' ||
    relativePath === '' ||
    relativePath.length > MAX_PATH_LENGTH ||
    relativePath.startsWith('/')
  ) {
    throw invalid(
      `"${String(relativePath).slice(0, 60)}" is not a path relative to the models folder.`,
    );
  }
}

function checkSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw invalid('A SHA-256 must be 64 lowercase hexadecimal characters.');
  }
}

function checkEntry(file: Omit<IndexedFile, 'indexedAt'>): void {
  checkPath(file.relativePath);
  checkSha256(file.sha256);
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw invalid(`A file size must be a whole number of bytes (got ${file.size}).`);
  }
  if (!Number.isFinite(file.mtimeMs)) {
    throw invalid(`A modification time must be a number of milliseconds (got ${file.mtimeMs}).`);
  }
}

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
  isNotNull(modelMetadata.sha256),
  isNotNull(modelMetadata.sizeBytes),
  isNotNull(modelMetadata.mtimeMs),
);

/** The stored value while the hash stays the same, else `otherwise` (SET expressions see the row as it was). */
function keptForSameContent(column: SQL, otherwise: SQL = sql`null`): SQL {
  return sql`case when ${modelMetadata.sha256} is not distinct from excluded.sha256 then ${column} else ${otherwise} end`;
}

export function createLocalFileIndexStore(db: Database): LocalFileIndex {
  const select = () => db.select(indexedColumns).from(modelMetadata);

  return {
    async record(file, now) {
      return withDatabaseErrors('recording a file in the local file index', async () => {
        checkEntry(file);
        await db
          .insert(modelMetadata)
          .values({
            id: createTimeOrderedId(now.getTime()),
            relativePath: file.relativePath,
            sha256: file.sha256,
            sizeBytes: file.size,
            mtimeMs: file.mtimeMs,
            sourceKind: file.sourceKind,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoUpdate({
            target: modelMetadata.relativePath,
            set: {
              sizeBytes: file.size,
              mtimeMs: file.mtimeMs,
              sourceKind: file.sourceKind,
              sourceModelId: keptForSameContent(sql`${modelMetadata.sourceModelId}`),
              sourceVersionId: keptForSameContent(sql`${modelMetadata.sourceVersionId}`),
              metadata: keptForSameContent(sql`${modelMetadata.metadata}`),
              previewPath: keptForSameContent(sql`${modelMetadata.previewPath}`),
              latestVersionId: keptForSameContent(sql`${modelMetadata.latestVersionId}`),
              checkedAt: keptForSameContent(sql`${modelMetadata.checkedAt}`),
              updateStatus: keptForSameContent(sql`${modelMetadata.updateStatus}`, sql`'unknown'`),
              sha256: file.sha256,
              updatedAt: now,
            },
          });
      });
    },

    async get(relativePath) {
      return withDatabaseErrors('reading the local file index', async () => {
        checkPath(relativePath);
        const [row] = await select().where(
          and(eq(modelMetadata.relativePath, relativePath), isIndexed),
        );
        return row ? toIndexedFile(row) : null;
      });
    },

    async findBySha256(sha256) {
      return withDatabaseErrors('looking for a file in the local file index', async () => {
        checkSha256(sha256);
        const rows = await select()
          .where(and(eq(modelMetadata.sha256, sha256), isIndexed))
          .orderBy(asc(modelMetadata.relativePath));
        return rows.map(toIndexedFile);
      });
    },

    async list(afterPath, limit) {
      return withDatabaseErrors('listing the local file index', async () => {
        if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
          throw invalid(`limit must be a whole number from 1 to ${MAX_PAGE} (got ${limit}).`);
        }
        if (afterPath !== null) checkPath(afterPath);
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
        relativePaths.forEach(checkPath);
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
