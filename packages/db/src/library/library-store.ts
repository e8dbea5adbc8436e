/**
 * The engine's LibraryStore over `model_metadata`: the same rows the LocalFileIndex writes, seen as
 * library entries (present and missing). Lists page by keyset on (sort column, id), so a page of 50
 * costs the same at entry 10 000 as at entry 0.
 */
import { and, asc, desc, eq, gt, ilike, inArray, isNull, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { libraryPathFacts, ModeldockError } from '@modeldock/engine';
import type {
  LibraryRow,
  LibraryStore,
  LibraryStoreQuery,
  ScannedFile,
} from '@modeldock/engine';
import type { Database } from '../database';
import { withDatabaseErrors } from '../database-errors';
import { libraryMetadata, modelMetadata } from '../schema';
import { createTimeOrderedId } from '../time-ordered-id';

/** Keeps `IN (…)` lists far below PostgreSQL's 65 535 bind parameters. */
const CHUNK = 1000;

type MetadataRow = typeof modelMetadata.$inferSelect;

export function toLibraryRow(row: MetadataRow): LibraryRow {
  return {
    id: row.id,
    relativePath: row.relativePath,
    folder: row.folder,
    name: row.name,
    format: row.format,
    sizeBytes: row.sizeBytes ?? 0,
    mtimeMs: row.mtimeMs,
    inode: row.inode,
    sha256: row.sha256,
    status: row.status,
    source: row.source ?? null,
    jobId: row.jobId,
    error: row.scanError ?? null,
    addedAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const SORT_COLUMNS = {
  name: modelMetadata.name,
  size: modelMetadata.sizeBytes,
  added: modelMetadata.createdAt,
} as const;

function badCursor(): ModeldockError {
  return new ModeldockError('INVALID_INPUT', 'The list cursor is not one this server gave out: load the list again from the first page.');
}

function encodeCursor(query: LibraryStoreQuery, row: MetadataRow): string {
  const value = query.sort === 'name' ? row.name : query.sort === 'size' ? (row.sizeBytes ?? 0) : row.createdAt.toISOString();
  return Buffer.from(JSON.stringify([query.sort, value, row.id])).toString('base64url');
}

function decodeCursor(query: LibraryStoreQuery, cursor: string): { value: string | number; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== query.sort || typeof parsed[2] !== 'string') throw badCursor();
  const value: unknown = parsed[1];
  if (query.sort === 'size' ? !Number.isSafeInteger(value) : typeof value !== 'string') throw badCursor();
  if (query.sort === 'added' && Number.isNaN(new Date(value as string).getTime())) throw badCursor();
  return { value: value as string | number, id: parsed[2] };
}

/** `%`, `_` and `\` match themselves. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

function filters(query: LibraryStoreQuery): SQL[] {
  const where: SQL[] = [eq(modelMetadata.listed, true), inArray(modelMetadata.status, query.statuses)];
  if (query.folder !== null) {
    where.push(
      query.folder.includes('/')
        ? ilike(modelMetadata.relativePath, `${query.folder.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`)
        : eq(modelMetadata.folder, query.folder),
    );
  }
  if (query.format !== null) where.push(eq(modelMetadata.format, query.format));
  if (query.flag !== null) where.push(flagFilter(query.flag));
  if (query.source === 'disk') {
    where.push(or(isNull(modelMetadata.source), sql`${modelMetadata.source}->>'kind' = 'disk'`)!);
  } else if (query.source !== null) {
    where.push(sql`${modelMetadata.source}->>'kind' = ${query.source}`);
  }
  if (query.search !== null) {
    const pattern = likePattern(query.search);
    where.push(or(ilike(modelMetadata.relativePath, pattern), ilike(modelMetadata.name, pattern))!);
  }
  return where;
}

/** Entries by what the metadata domain knows: a row in library_metadata says it (none: not described yet). */
function flagFilter(flag: NonNullable<LibraryStoreQuery['flag']>): SQL {
  const described = (condition: SQL) =>
    sql`exists (select 1 from ${libraryMetadata} where ${libraryMetadata.entryId} = ${modelMetadata.id} and ${condition})`;
  if (flag === 'update_available') return described(sql`${libraryMetadata.updateStatus} = 'update_available'`);
  if (flag === 'incomplete') return sql`not ${described(sql`${libraryMetadata.completeness} = 'complete'`)}`;
  return sql`not ${described(sql`${libraryMetadata.previewKind} = 'image'`)}`;
}

function afterCursor(query: LibraryStoreQuery): SQL | null {
  if (query.cursor === null) return null;
  const { value, id } = decodeCursor(query, query.cursor);
  const column = SORT_COLUMNS[query.sort];
  const typed = query.sort === 'added' ? sql`${value}::timestamptz` : query.sort === 'size' ? sql`${value}::bigint` : sql`${value}`;
  // Size may be null on rows other features created: compared as 0, like it is shown.
  const left = query.sort === 'size' ? sql`(coalesce(${column}, 0), ${modelMetadata.id})` : sql`(${column}, ${modelMetadata.id})`;
  return query.order === 'asc' ? sql`${left} > (${typed}, ${id})` : sql`${left} < (${typed}, ${id})`;
}

/** Values for an insert of a file found on disk, folder, name and format derived from its path. */
function scannedValues(file: ScannedFile, now: Date) {
  return {
    id: createTimeOrderedId(now.getTime()),
    relativePath: file.relativePath,
    ...libraryPathFacts(file.relativePath),
    sha256: file.sha256,
    sizeBytes: file.sizeBytes,
    mtimeMs: file.mtimeMs,
    inode: file.inode,
    status: 'present' as const,
    scanError: file.error,
    source: file.source,
    jobId: file.jobId ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** What survives when a path is found again: everything while the bytes are the same (or unread). */
function mergedWithKnown(file: ScannedFile, known: MetadataRow | undefined, now: Date) {
  const values = scannedValues(file, now);
  if (!known) {
    return {
      ...values,
      sourceKind: null,
      sourceModelId: null,
      sourceVersionId: null,
      metadata: null,
      previewPath: null,
      updateStatus: 'unknown',
      latestVersionId: null,
      checkedAt: null,
    };
  }
  const sameContent = file.sha256 === null || file.sha256 === known.sha256;
  return {
    ...values,
    id: known.id,
    sha256: file.sha256 ?? known.sha256,
    source: file.source ?? (sameContent ? known.source : null),
    jobId: file.jobId ?? (sameContent ? known.jobId : null),
    sourceKind: sameContent ? known.sourceKind : null,
    sourceModelId: sameContent ? known.sourceModelId : null,
    sourceVersionId: sameContent ? known.sourceVersionId : null,
    metadata: sameContent ? known.metadata : null,
    previewPath: sameContent ? known.previewPath : null,
    updateStatus: sameContent ? known.updateStatus : 'unknown',
    latestVersionId: sameContent ? known.latestVersionId : null,
    checkedAt: sameContent ? known.checkedAt : null,
    createdAt: known.createdAt,
  };
}

export function createLibraryStore(db: Database): LibraryStore {
  async function rowsByPath(executor: Database, paths: string[]): Promise<Map<string, MetadataRow>> {
    const rows = paths.length === 0 ? [] : await executor.select().from(modelMetadata).where(inArray(modelMetadata.relativePath, paths));
    return new Map(rows.map((row) => [row.relativePath, row]));
  }

  return {
    async list(query) {
      return withDatabaseErrors('listing the library', async () => {
        const column = SORT_COLUMNS[query.sort];
        const where = filters(query);
        const after = afterCursor(query);
        if (after) where.push(after);
        const direction = query.order === 'asc' ? asc : desc;
        const sortKey = query.sort === 'size' ? sql`coalesce(${column}, 0)` : column;
        const rows = await db
          .select()
          .from(modelMetadata)
          .where(and(...where))
          .orderBy(direction(sortKey), direction(modelMetadata.id))
          .limit(query.limit + 1);
        const page = rows.slice(0, query.limit);
        const last = page[page.length - 1];
        return {
          items: page.map(toLibraryRow),
          nextCursor: rows.length > query.limit && last ? encodeCursor(query, last) : null,
        };
      });
    },

    async get(id) {
      return withDatabaseErrors('reading a library entry', async () => {
        const [row] = await db
          .select()
          .from(modelMetadata)
          .where(and(eq(modelMetadata.id, id), eq(modelMetadata.listed, true)));
        return row ? toLibraryRow(row) : null;
      });
    },

    async getMany(ids) {
      return withDatabaseErrors('reading library entries', async () => {
        const rows: LibraryRow[] = [];
        for (let start = 0; start < ids.length; start += CHUNK) {
          const found = await db
            .select()
            .from(modelMetadata)
            .where(and(inArray(modelMetadata.id, ids.slice(start, start + CHUNK)), eq(modelMetadata.listed, true)));
          rows.push(...found.map(toLibraryRow));
        }
        return rows;
      });
    },

    async page(afterPath, limit) {
      return withDatabaseErrors('reading the library', async () => {
        const rows = await db
          .select()
          .from(modelMetadata)
          .where(afterPath === null ? undefined : gt(modelMetadata.relativePath, afterPath))
          .orderBy(asc(modelMetadata.relativePath))
          .limit(limit);
        return rows.map(toLibraryRow);
      });
    },

    async findBySha256(sha256) {
      return withDatabaseErrors('looking for a library entry by hash', async () => {
        const rows = await db
          .select()
          .from(modelMetadata)
          .where(eq(modelMetadata.sha256, sha256))
          .orderBy(asc(modelMetadata.relativePath));
        return rows.map(toLibraryRow);
      });
    },

    async upsertScanned(files, now) {
      return withDatabaseErrors('recording scanned files in the library', async () => {
        const byPath = new Map(files.map((file) => [file.relativePath, file]));
        const unique = [...byPath.values()];
        for (let start = 0; start < unique.length; start += CHUNK) {
          const chunk = unique.slice(start, start + CHUNK);
          await db.transaction(async (tx) => {
            const known = await rowsByPath(tx as unknown as Database, chunk.map((file) => file.relativePath));
            const values = chunk.map((file) => mergedWithKnown(file, known.get(file.relativePath), now));
            await tx
              .insert(modelMetadata)
              .values(values)
              .onConflictDoUpdate({
                target: modelMetadata.relativePath,
                set: Object.fromEntries(
                  Object.keys(values[0]!)
                    .filter((key) => key !== 'id' && key !== 'relativePath')
                    .map((key) => [key, sql.raw(`excluded.${columnName(key)}`)]),
                ),
              });
          });
        }
      });
    },

    async move(id, file, now) {
      return withDatabaseErrors('moving a library entry', async () => {
        const { id: _newId, createdAt: _added, ...values } = scannedValues(file, now);
        await db
          .update(modelMetadata)
          .set({
            ...values,
            sha256: file.sha256 ?? sql`${modelMetadata.sha256}`,
            source: file.source ?? sql`${modelMetadata.source}`,
            jobId: file.jobId ?? sql`${modelMetadata.jobId}`,
          })
          .where(eq(modelMetadata.id, id));
      });
    },

    async markMissing(ids, now) {
      return withDatabaseErrors('marking library entries missing', async () => {
        let changed = 0;
        for (let start = 0; start < ids.length; start += CHUNK) {
          const rows = await db
            .update(modelMetadata)
            .set({ status: 'missing', updatedAt: now })
            .where(and(inArray(modelMetadata.id, ids.slice(start, start + CHUNK)), eq(modelMetadata.status, 'present')))
            .returning({ id: modelMetadata.id });
          changed += rows.length;
        }
        return changed;
      });
    },

    async remove(ids) {
      return withDatabaseErrors('removing library entries', async () => {
        let removed = 0;
        for (let start = 0; start < ids.length; start += CHUNK) {
          const rows = await db
            .delete(modelMetadata)
            .where(inArray(modelMetadata.id, ids.slice(start, start + CHUNK)))
            .returning({ id: modelMetadata.id });
          removed += rows.length;
        }
        return removed;
      });
    },

    async usage() {
      return withDatabaseErrors('measuring the library', async () => {
        const rows = await db
          .select({
            folder: modelMetadata.folder,
            bytes: sql<string>`coalesce(sum(${modelMetadata.sizeBytes}), 0)`,
            files: sql<string>`count(*)`,
          })
          .from(modelMetadata)
          .where(and(eq(modelMetadata.status, 'present'), eq(modelMetadata.listed, true)))
          .groupBy(modelMetadata.folder)
          .orderBy(asc(modelMetadata.folder));
        return rows.map((row) => ({ folder: row.folder, bytes: Number(row.bytes), files: Number(row.files) }));
      });
    },
  };
}

/** The SQL column behind a schema key (for `excluded.<column>`). */
function columnName(key: string): string {
  const column = (modelMetadata as unknown as Record<string, { name: string }>)[key];
  if (!column) throw new Error(`model_metadata has no column for ${key}`);
  return column.name;
}
