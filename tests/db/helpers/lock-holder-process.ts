/**
 * A separate process that takes a PGlite directory lock, says "locked", then either stays alive
 * until killed (argv[3] = "stay") or exits normally (argv[3] = "exit").
 */
import { acquirePgliteLock } from '@modeldock/db/testing';

const [lockPath, mode] = process.argv.slice(2);
acquirePgliteLock(lockPath!, { dataDir: lockPath! });
process.stdout.write('locked\n');
if (mode === 'exit') process.exit(0);
setInterval(() => undefined, 60_000);
