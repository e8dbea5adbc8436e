/**
 * `updateFiles`: many file patches as a few multi-row UPDATEs in one transaction. Patches of one
 * file are merged in order first (a later value wins, as it would applied one after the other);
 * files whose patches set the same columns share one statement, its rows passed as one JSON
 * parameter and unpacked by `jsonb_to_recordset` (a JSON null becomes SQL NULL, as `updateFile`
 * stores it). One statement and one commit for a batch instead of one each per patch: on the
 * embedded database every statement costs most of a millisecond of the server's main thread.
 */
import { eq, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { FilePatch, FileUpdate } from '@modeldock/engine';
import type { Database } from './database';
import { jobFiles } from './schema';

/** How each patchable field is stored: its column and the SQL type jsonb_to_recordset reads it as. */
const PATCHABLE: { [Field in keyof Required<FilePatch>]: { column: string; type: string } } = {
  status: { column: jobFiles.status.name, type: 'text' },
  bytesDone: { column: jobFiles.bytesDone.name, type: 'bigint' },
  bytesTotal: { column: jobFiles.bytesTotal.name, type: 'bigint' },
  sha256: { column: jobFiles.sha256.name, type: 'text' },
  expectedSha256: { column: jobFiles.expectedSha256.name, type: 'text' },
  validator: { column: jobFiles.validator.name, type: 'jsonb' },
  segments: { column: jobFiles.segments.name, type: 'jsonb' },
  format: { column: jobFiles.format.name, type: 'text' },
  error: { column: jobFiles.error.name, type: 'jsonb' },
  url: { column: jobFiles.url.name, type: 'text' },
  revision: { column: jobFiles.revision.name, type: 'text' },
};

type PatchField = keyof FilePatch;

/** Rows of one statement are at most this many (the JSON parameter stays a few hundred KB). */
const ROWS_PER_STATEMENT = 1000;

/** One merged patch per file, in the order files were first patched. */
export function mergeFileUpdates(updates: readonly FileUpdate[]): Map<string, FilePatch> {
  const merged = new Map<string, FilePatch>();
  for (const { fileId, patch } of updates) {
    const into = (merged.get(fileId) ?? {}) as Record<string, unknown>;
    // `undefined` leaves a field alone, so it never overrides an earlier value.
    for (const [field, value] of Object.entries(patch))
      if (value !== undefined) into[field] = value;
    merged.set(fileId, into as FilePatch);
  }
  return merged;
}

function fieldsOf(patch: FilePatch): PatchField[] {
  return (Object.keys(patch) as PatchField[])
    .filter((field) => patch[field] !== undefined && Object.hasOwn(PATCHABLE, field))
    .sort();
}

/** Files grouped by the exact set of fields their merged patch sets. */
function groupByFields(
  merged: Map<string, FilePatch>,
): Map<string, { fields: PatchField[]; files: [string, FilePatch][] }> {
  const groups = new Map<string, { fields: PatchField[]; files: [string, FilePatch][] }>();
  for (const entry of merged) {
    const fields = fieldsOf(entry[1]);
    const key = fields.join(',');
    const group = groups.get(key);
    if (group) group.files.push(entry);
    else groups.set(key, { fields, files: [entry] });
  }
  return groups;
}

function updateGroup(db: Database, fields: PatchField[], files: [string, FilePatch][], now: Date) {
  const rows = files.map(([fileId, patch]) => {
    const row: Record<string, unknown> = { id: fileId };
    for (const field of fields) row[PATCHABLE[field].column] = patch[field];
    return row;
  });
  const recordType = sql.raw(
    [
      'id text',
      ...fields.map((field) => `${PATCHABLE[field].column} ${PATCHABLE[field].type}`),
    ].join(', '),
  );
  const set: Record<string, SQL | Date> = { updatedAt: now };
  for (const field of fields) set[field] = sql.raw(`v.${PATCHABLE[field].column}`);
  return db
    .update(jobFiles)
    .set(set)
    .from(sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(${recordType})`)
    .where(eq(jobFiles.id, sql.raw('v.id')));
}

/** Applies the updates: one statement on its own, several in one transaction. */
export async function applyFileUpdates(
  db: Database,
  updates: readonly FileUpdate[],
  now: Date,
): Promise<void> {
  const statements: Array<{ fields: PatchField[]; files: [string, FilePatch][] }> = [];
  for (const { fields, files } of groupByFields(mergeFileUpdates(updates)).values()) {
    for (let start = 0; start < files.length; start += ROWS_PER_STATEMENT)
      statements.push({ fields, files: files.slice(start, start + ROWS_PER_STATEMENT) });
  }
  if (statements.length === 1) {
    const [only] = statements;
    await updateGroup(db, only!.fields, only!.files, now);
    return;
  }
  await db.transaction(async (tx) => {
    for (const { fields, files } of statements) await updateGroup(tx, fields, files, now);
  });
}
