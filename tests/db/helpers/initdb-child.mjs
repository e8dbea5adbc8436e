// The initdb child of pglite-first-start.test.ts: notes its pid, then runs the built server's entry,
// which sees MODELDOCK_PGLITE_INITDB_DIR, creates the database and exits.
import { writeFileSync } from 'node:fs';

writeFileSync(process.env.INITDB_MARKER, String(process.pid));
await import(process.env.INITDB_SERVER_ENTRY);
