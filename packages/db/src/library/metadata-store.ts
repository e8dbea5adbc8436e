/**
 * The engine's LibraryMetadataStore over `library_metadata`: one row per described library entry,
 * its normalised fields as columns (so the library filters and counts by them), hub identities, raw
 * hub answers and update status as jsonb. `put` replaces by entry id; an entry deleted from the
 * library takes its row with it (cascade), and a put for an entry no longer there is skipped.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { LibraryMetadataStore, MetadataSummary, StoredModelMetadata } from '@modeldock/engine';
import type { Database } from '../database';
import { withDatabaseErrors } from '../database-errors';
import { libraryMetadata, modelMetadata } from '../schema';

/** Keeps `IN (…)` lists far below PostgreSQL's 65 535 bind parameters. */
const CHUNK = 500;

type Row = typeof libraryMetadata.$inferSelect;
type NewRow = typeof libraryMetadata.$inferInsert;

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const date = (text: string | null | undefined) => (text ? new Date(text) : null);

export function toStoredMetadata(row: Row): StoredModelMetadata {
  return {
    entryId: row.entryId,
    sha256: row.sha256,
    metadata:
      row.completeness === null
        ? null
        : {
            name: row.name,
            versionName: row.versionName,
            type: row.type,
            baseModel: row.baseModel,
            trainedWords: row.trainedWords,
            tags: row.tags,
            description: row.description,
            creator: row.creator,
            nsfwLevel: row.nsfwLevel,
            sourceUrl: row.sourceUrl,
            completeness: row.completeness,
            missing: row.missing,
            sources: row.sources,
            updatedAt: iso(row.describedAt) ?? row.updatedAt.toISOString(),
          },
    civitai: row.civitai ?? null,
    huggingFace: row.huggingFace ?? null,
    raw: row.raw ?? {},
    preview:
      row.previewKind && row.previewThumbnail
        ? {
            kind: row.previewKind,
            thumbnail: row.previewThumbnail,
            besideModel: row.previewBesideModel,
            updatedAt: iso(row.previewUpdatedAt) ?? row.updatedAt.toISOString(),
          }
        : null,
    update:
      row.updateStatus && row.updateCheckedAt
        ? {
            status: row.updateStatus,
            latest: row.updateLatest ?? null,
            checkedAt: row.updateCheckedAt.toISOString(),
            ...(row.updateNote ? { note: row.updateNote } : {}),
          }
        : null,
    civitaiNotFoundAt: iso(row.civitaiNotFoundAt),
    sidecars: row.sidecars,
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toRow(record: StoredModelMetadata): NewRow {
  const metadata = record.metadata;
  return {
    entryId: record.entryId,
    sha256: record.sha256,
    completeness: metadata?.completeness ?? null,
    name: metadata?.name ?? null,
    versionName: metadata?.versionName ?? null,
    type: metadata?.type ?? null,
    baseModel: metadata?.baseModel ?? null,
    trainedWords: metadata?.trainedWords ?? [],
    tags: metadata?.tags ?? [],
    description: metadata?.description ?? null,
    creator: metadata?.creator ?? null,
    nsfwLevel: metadata?.nsfwLevel ?? null,
    sourceUrl: metadata?.sourceUrl ?? null,
    missing: metadata?.missing ?? [],
    sources: metadata?.sources ?? [],
    describedAt: date(metadata?.updatedAt),
    civitai: record.civitai,
    huggingFace: record.huggingFace,
    raw: record.raw,
    previewKind: record.preview?.kind ?? null,
    previewThumbnail: record.preview?.thumbnail ?? null,
    previewBesideModel: record.preview?.besideModel ?? null,
    previewUpdatedAt: date(record.preview?.updatedAt),
    updateStatus: record.update?.status ?? null,
    updateLatest: record.update?.latest ?? null,
    updateCheckedAt: date(record.update?.checkedAt),
    updateNote: record.update?.note ?? null,
    civitaiNotFoundAt: date(record.civitaiNotFoundAt),
    sidecars: record.sidecars,
    updatedAt: new Date(record.updatedAt),
  };
}

/** The SQL column behind a schema key (for `excluded.<column>`). */
function columnName(key: string): string {
  const column = (libraryMetadata as unknown as Record<string, { name: string }>)[key];
  if (!column) throw new Error(`library_metadata has no column for ${key}`);
  return column.name;
}

export function createMetadataStore(db: Database): LibraryMetadataStore {
  return {
    async get(entryIds) {
      return withDatabaseErrors('reading model metadata', async () => {
        const found = new Map<string, StoredModelMetadata>();
        const unique = [...new Set(entryIds)];
        for (let start = 0; start < unique.length; start += CHUNK) {
          const rows = await db
            .select()
            .from(libraryMetadata)
            .where(inArray(libraryMetadata.entryId, unique.slice(start, start + CHUNK)));
          for (const row of rows) found.set(row.entryId, toStoredMetadata(row));
        }
        return found;
      });
    },

    async put(records) {
      return withDatabaseErrors('recording model metadata', async () => {
        const byId = new Map(records.map((record) => [record.entryId, record]));
        const unique = [...byId.values()];
        for (let start = 0; start < unique.length; start += CHUNK) {
          const chunk = unique.slice(start, start + CHUNK);
          await db.transaction(async (tx) => {
            // An entry deleted while it was being described has nothing left to describe.
            const existing = await tx
              .select({ id: modelMetadata.id })
              .from(modelMetadata)
              .where(inArray(modelMetadata.id, chunk.map((record) => record.entryId)));
            const alive = new Set(existing.map((row) => row.id));
            const values = chunk.filter((record) => alive.has(record.entryId)).map(toRow);
            if (values.length === 0) return;
            await tx
              .insert(libraryMetadata)
              .values(values)
              .onConflictDoUpdate({
                target: libraryMetadata.entryId,
                set: Object.fromEntries(
                  Object.keys(values[0]!)
                    .filter((key) => key !== 'entryId')
                    .map((key) => [key, sql.raw(`excluded.${columnName(key)}`)]),
                ),
              });
          });
        }
      });
    },

    async summary() {
      return withDatabaseErrors('counting model metadata', async () => {
        const counted = (condition?: SQL) => (condition ? sql<string>`count(*) filter (where ${condition})` : sql<string>`count(*)`);
        const lm = libraryMetadata;
        const [row] = await db
          .select({
            entries: counted(),
            complete: counted(sql`${lm.completeness} = 'complete'`),
            partial: counted(sql`${lm.completeness} = 'partial'`),
            minimal: counted(sql`${lm.completeness} is null or ${lm.completeness} = 'minimal'`),
            undescribed: counted(sql`${lm.completeness} is null`),
            noPreview: counted(sql`${lm.previewKind} is distinct from 'image'`),
            updateAvailable: counted(sql`${lm.updateStatus} = 'update_available'`),
          })
          .from(modelMetadata)
          .leftJoin(lm, eq(lm.entryId, modelMetadata.id))
          .where(and(eq(modelMetadata.status, 'present'), eq(modelMetadata.listed, true)));
        const summary = Object.fromEntries(Object.entries(row ?? {}).map(([key, value]) => [key, Number(value)])) as unknown as MetadataSummary;
        return summary;
      });
    },
  };
}
