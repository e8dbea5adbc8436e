/**
 * `modeldock doctor`: is the server reachable, which version and database, how much free space
 * under the models root, are the saved API keys valid, can the server write to the models root.
 * Exit 0 when every check passes, 1 when one fails, 3 unreachable, 4 refused token.
 */
import type { Command } from 'commander';
import { runAction } from '../command-context';
import type { CommandContext } from '../command-context';
import { EXIT } from '../exit-codes';
import type { ExitCode } from '../exit-codes';
import { formatBytes } from '../format';

/** Less free space than this is worth a warning: one large checkpoint no longer fits. */
const LOW_SPACE_BYTES = 10 * 1024 ** 3;

type CheckState = 'ok' | 'warning' | 'failed';

interface Check {
  name: string;
  state: CheckState;
  detail: string;
}

const MARK: Record<CheckState, string> = { ok: 'ok  ', warning: 'warn', failed: 'FAIL' };

async function runChecks(context: CommandContext): Promise<Check[]> {
  const client = context.client();
  const checks: Check[] = [];
  // The first call: unreachable (exit 3) and a refused token (exit 4) end the doctor here.
  const health = await client.health.query();
  checks.push({
    name: 'server',
    state: 'ok',
    detail: `${context.connection.url} answers (modeldock ${health.version})`,
  });
  checks.push({
    name: 'database',
    state: 'ok',
    detail: health.database === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite',
  });

  const storage = await client.library.storage.query();
  checks.push({
    name: 'free space',
    state: storage.freeBytes === null || storage.freeBytes < LOW_SPACE_BYTES ? 'warning' : 'ok',
    detail:
      storage.freeBytes === null
        ? `unknown: the file system of ${storage.modelsRoot} does not say`
        : `${formatBytes(storage.freeBytes)} free under ${storage.modelsRoot}`,
  });
  checks.push({
    name: 'models root',
    state: storage.writable ? 'ok' : 'failed',
    detail: storage.writable
      ? `${storage.modelsRoot} is writable`
      : `${storage.modelsRoot} is not writable: ${storage.problem?.message ?? 'unknown reason'}${storage.problem ? ` [${storage.problem.code}]` : ''}`,
  });

  const keys = await client.settings.apiKeys.list.query();
  for (const key of keys.items) {
    checks.push({
      name: `${key.platform} key`,
      state: key.valid === false ? 'failed' : key.valid === true ? 'ok' : 'warning',
      detail:
        key.valid === true
          ? `…${key.last4} accepted${key.validatedAt ? ` (checked ${key.validatedAt})` : ''}`
          : key.valid === false
            ? `…${key.last4} rejected: ${key.message ?? 'the platform refused it'}`
            : `…${key.last4} not checked yet${key.message ? `: ${key.message}` : ''}`,
    });
  }
  for (const env of keys.environment) {
    checks.push({
      name: `${env.platform} key`,
      state: 'ok',
      detail: `…${env.last4} from ${env.variable}${env.inUse ? '' : ' (a saved key takes precedence)'}`,
    });
  }
  if (keys.items.length === 0 && keys.environment.length === 0) {
    checks.push({
      name: 'API keys',
      state: 'ok',
      detail: 'none saved (only public models can be downloaded)',
    });
  }
  return checks;
}

async function doctor(context: CommandContext): Promise<ExitCode> {
  const checks = await runChecks(context);
  const ok = checks.every((check) => check.state !== 'failed');
  if (context.json) context.printJson({ ok, checks });
  else
    for (const check of checks)
      context.say(`${MARK[check.state]}  ${check.name.padEnd(16)} ${check.detail}`);
  return ok ? EXIT.ok : EXIT.failed;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check the server: reachable, version, database, free space, API keys, models root writable',
    )
    .action(runAction(doctor));
}
