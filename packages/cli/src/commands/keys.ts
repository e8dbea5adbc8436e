/**
 * `modeldock keys set|ls|rm <platform>`: API keys saved on the server (Settings → API keys). The key
 * is read from standard input, never from an argument: arguments are visible to every user of the
 * machine in `ps`. On a terminal it is asked for without echo.
 */
import type { Command } from 'commander';
import type { ApiKeyPlatform, ApiKeyView } from '@modeldock/client';
import { runAction } from '../command-context';
import type { CommandContext } from '../command-context';
import { EXIT, usageError } from '../exit-codes';
import type { ExitCode } from '../exit-codes';
import { table } from '../format';
import { readSecretFromStdin } from '../read-secret';

const PLATFORMS: readonly ApiKeyPlatform[] = ['huggingface', 'civitai'];
const NAMES: Record<ApiKeyPlatform, string> = {
  huggingface: 'Hugging Face token',
  civitai: 'Civitai API key',
};

function platformOf(value: string): ApiKeyPlatform {
  const platform = value.trim().toLowerCase().replace(/^hf$/, 'huggingface');
  if (!PLATFORMS.includes(platform as ApiKeyPlatform)) {
    throw usageError(
      `platform must be one of ${PLATFORMS.join(', ')} (got "${value.slice(0, 40)}")`,
    );
  }
  return platform as ApiKeyPlatform;
}

function describeKey(view: ApiKeyView): string {
  const state =
    view.valid === true ? 'valid' : view.valid === false ? 'rejected' : 'not checked yet';
  return `${view.platform}: …${view.last4}, ${state}${view.message ? ` (${view.message})` : ''}`;
}

async function setKey(context: CommandContext, platformText: string): Promise<ExitCode> {
  const platform = platformOf(platformText);
  const key = await readSecretFromStdin(`Paste the ${NAMES[platform]} (input hidden): `);
  if (!key)
    throw usageError(
      `No key on standard input: pipe it in, e.g. modeldock keys set ${platform} < key.txt`,
    );
  const view = await context.client().settings.apiKeys.set.mutate({ platform, key });
  if (context.json) context.printJson(view);
  else context.say(`Saved. ${describeKey(view)}`);
  return EXIT.ok;
}

async function listKeys(context: CommandContext): Promise<ExitCode> {
  const listing = await context.client().settings.apiKeys.list.query();
  if (context.json) {
    context.printJson(listing);
    return EXIT.ok;
  }
  const rows = listing.items.map((view) => [
    view.platform,
    `…${view.last4}`,
    view.valid === true ? 'valid' : view.valid === false ? 'rejected' : 'not checked',
    'saved',
    view.message ?? '',
  ]);
  for (const env of listing.environment) {
    rows.push([
      env.platform,
      `…${env.last4}`,
      '',
      `environment (${env.variable})`,
      env.inUse ? 'in use' : 'a saved key takes precedence',
    ]);
  }
  context.say(
    rows.length === 0 ? 'No API keys.' : table([['PLATFORM', 'KEY', 'STATE', 'FROM', ''], ...rows]),
  );
  return EXIT.ok;
}

async function removeKey(context: CommandContext, platformText: string): Promise<ExitCode> {
  const platform = platformOf(platformText);
  const result = await context.client().settings.apiKeys.remove.mutate({ platform });
  if (context.json) context.printJson(result);
  else
    context.say(
      result.removed ? `Removed the ${NAMES[platform]}.` : `No ${NAMES[platform]} was saved.`,
    );
  return EXIT.ok;
}

export function registerKeyCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('API keys the server uses for Hugging Face and Civitai');
  keys
    .command('set')
    .description(
      'Check a key with the platform and save it (read from standard input, never an argument)',
    )
    .argument('<platform>', PLATFORMS.join(' or '))
    .addHelpText(
      'after',
      '\nExamples:\n  modeldock keys set huggingface < hf-token.txt\n  pass show hf | modeldock keys set huggingface',
    )
    .action(runAction(setKey));
  keys
    .command('ls')
    .description('List saved keys (last 4 characters only) and keys from the server environment')
    .action(runAction(listKeys));
  keys
    .command('rm')
    .description('Remove a saved key')
    .argument('<platform>', PLATFORMS.join(' or '))
    .action(runAction(removeKey));
}
