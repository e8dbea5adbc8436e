/** `modeldock library ls|missing|rm` and `modeldock tasks`. */
import type { Command } from 'commander';
import type { LibraryEntry, LibraryEntryStatus, LibraryListInput, Task } from '@modeldock/client';
import { runAction } from '../command-context';
import type { CommandContext } from '../command-context';
import { confirm } from '../confirm';
import { EXIT } from '../exit-codes';
import type { ExitCode } from '../exit-codes';
import { formatBytes, table } from '../format';
import { choiceList, integerOption } from '../option-parsers';

interface LibraryListOptions {
  folder?: string;
  search?: string;
  limit?: number;
}

function entryRow(entry: LibraryEntry): string[] {
  const source = entry.source ? entry.source.kind : '';
  return [
    entry.id,
    entry.status,
    formatBytes(entry.sizeBytes),
    entry.format ?? '',
    source,
    entry.relativePath,
  ];
}

async function listLibrary(
  context: CommandContext,
  status: LibraryEntryStatus[] | undefined,
  options: LibraryListOptions,
): Promise<ExitCode> {
  const result = await context.client().library.list.query({
    ...(status ? { status } : {}),
    ...(options.folder ? { folder: options.folder } : {}),
    ...(options.search ? { search: options.search } : {}),
    limit: options.limit ?? 200,
  } as LibraryListInput);
  if (context.json) {
    context.printJson(result);
    return EXIT.ok;
  }
  if (result.items.length === 0) {
    context.say(status?.includes('missing') ? 'No missing models.' : 'The library is empty.');
    return EXIT.ok;
  }
  context.say(
    table([['ID', 'STATUS', 'SIZE', 'FORMAT', 'SOURCE', 'PATH'], ...result.items.map(entryRow)]),
  );
  if (result.nextCursor)
    context.note('(more entries: raise --limit or narrow with --folder / --search)');
  return EXIT.ok;
}

async function removeEntries(
  context: CommandContext,
  ids: string[],
  options: { yes?: boolean },
): Promise<ExitCode> {
  const client = context.client();
  if (!options.yes) {
    const entries = await Promise.all(ids.map((id) => client.library.get.query({ id })));
    const names = entries.map((entry) => entry.relativePath).join(', ');
    if (!(await confirm(`Delete ${names} from disk (with sidecars and preview)?`, '--yes'))) {
      context.note('Nothing was deleted.');
      return EXIT.usage;
    }
  }
  const result = await client.library.delete.mutate({ ids });
  if (context.json) context.printJson(result);
  else
    context.say(
      `Deleted ${result.deleted} model${result.deleted === 1 ? '' : 's'}, freed ${formatBytes(result.freedBytes)}.`,
    );
  return EXIT.ok;
}

function taskRow(task: Task): string[] {
  const progress = task.total > 0 ? `${task.done}/${task.total}` : '';
  const errors = task.errorCount > 0 ? `${task.errorCount} errors` : '';
  return [task.id, task.kind, task.status, progress, errors, task.current ?? ''];
}

async function listTasks(
  context: CommandContext,
  options: { status?: Task['status'][]; limit?: number },
): Promise<ExitCode> {
  const tasks = await context.client().tasks.list.query({
    ...(options.status?.length ? { status: options.status } : {}),
    limit: options.limit ?? 50,
  });
  if (context.json) {
    context.printJson(tasks);
    return EXIT.ok;
  }
  if (tasks.length === 0) context.say('No tasks.');
  else
    context.say(
      table([['TASK', 'KIND', 'STATUS', 'DONE', 'ERRORS', 'CURRENT'], ...tasks.map(taskRow)]),
    );
  return EXIT.ok;
}

export function registerLibraryCommands(program: Command): void {
  const library = program.command('library').description('The model files under the models root');
  const listOptions = (command: Command) =>
    command
      .option('--folder <folder>', 'only this folder (e.g. checkpoints, loras)')
      .option('--search <text>', 'only names or paths containing this')
      .option(
        '-n, --limit <n>',
        'at most this many entries (default 200)',
        integerOption('--limit'),
      );

  listOptions(library.command('ls').description('List the models present or missing')).action(
    runAction((context, options: LibraryListOptions) => listLibrary(context, undefined, options)),
  );
  listOptions(
    library
      .command('missing')
      .description('List models deleted by hand (modeldock still knows where they came from)'),
  ).action(
    runAction((context, options: LibraryListOptions) => listLibrary(context, ['missing'], options)),
  );
  library
    .command('rm')
    .description('Delete models from disk, with their sidecars and preview')
    .argument('<ids...>', 'library entry ids (see modeldock library ls)')
    .option('-y, --yes', 'delete without asking')
    .action(runAction(removeEntries));

  program
    .command('tasks')
    .description('Background tasks (library scans and metadata refreshes), newest first')
    .option(
      '-s, --status <statuses>',
      'only these statuses, comma-separated (pending, running, completed, failed, cancelled)',
      choiceList('--status', ['pending', 'running', 'completed', 'failed', 'cancelled'] as const),
    )
    .option('-n, --limit <n>', 'at most this many tasks (default 50)', integerOption('--limit'))
    .action(runAction(listTasks));
}
