/**
 * `pnpm test:mutation`: runs StrykerJS on the safety-critical modules, then prints the score of each
 * module and fails when one is below PER_MODULE_BREAK or the whole set below SET_BREAK (Stryker
 * itself only knows a threshold for the whole set). Extra arguments go to Stryker (e.g. --incremental).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PER_MODULE_BREAK = 85;
const SET_BREAK = 90;

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = 'tests/mutation/stryker.config.mjs';
const reportFile = path.join(root, 'reports/mutation/mutation.json');

const stryker = spawnSync('pnpm', ['exec', 'stryker', 'run', config, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
} catch {
  console.error(`mutation testing failed: no report at ${reportFile}`);
  process.exit(1);
}

/** Stryker's mutation score: caught (killed, timed out) over every mutant that ran or had no test. */
function score(mutants) {
  const count = (...statuses) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
  const caught = count('Killed', 'Timeout');
  const missed = count('Survived', 'NoCoverage');
  return {
    caught,
    missed,
    ignored: count('Ignored'),
    percent: caught + missed === 0 ? 100 : (100 * caught) / (caught + missed),
  };
}

const rows = Object.entries(report.files).map(([file, { mutants }]) => ({
  module: file.replace(/^packages\/engine\/src\//, ''),
  ...score(mutants),
}));
const total = score(Object.values(report.files).flatMap((file) => file.mutants));

const line = (name, s) =>
  `${name.padEnd(30)} ${s.percent.toFixed(1).padStart(6)} %   ${String(s.caught).padStart(4)} caught ${String(s.missed).padStart(4)} missed ${String(s.ignored).padStart(3)} excluded`;
console.log('\nmutation score per module');
for (const row of rows) console.log(line(row.module, row) + (row.percent < PER_MODULE_BREAK ? '   < ' + PER_MODULE_BREAK : ''));
console.log(line('all modules', total) + (total.percent < SET_BREAK ? '   < ' + SET_BREAK : ''));

const failing = rows.filter((row) => row.percent < PER_MODULE_BREAK);
if (failing.length > 0 || total.percent < SET_BREAK || stryker.status !== 0) {
  console.log(
    `mutation testing FAILED: every module must reach ${PER_MODULE_BREAK} % and the set ${SET_BREAK} %` +
      (stryker.status !== 0 ? ` (stryker exited with ${stryker.status})` : ''),
  );
  process.exit(1);
}
console.log(`mutation testing passed (modules >= ${PER_MODULE_BREAK} %, set >= ${SET_BREAK} %)`);
