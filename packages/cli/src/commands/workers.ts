/** `modeldock workers`: the server processes sharing the database, their last heartbeat and running jobs. */
import type { Command } from 'commander';
import { runAction } from '../command-context';
import type { CommandContext } from '../command-context';
import { EXIT } from '../exit-codes';
import type { ExitCode } from '../exit-codes';
import { table } from '../format';

async function listWorkers(context: CommandContext): Promise<ExitCode> {
  const workers = await context.client().workers.list.query();
  if (context.json) {
    context.printJson(workers);
    return EXIT.ok;
  }
  if (workers.items.length === 0) {
    context.say('No workers.');
    return EXIT.ok;
  }
  context.say(
    table([
      ['NODE', 'STATE', 'LAST HEARTBEAT', 'RUNNING JOBS'],
      ...workers.items.map((worker) => [
        worker.self ? `${worker.name} (this server)` : worker.name,
        worker.alive ? 'alive' : 'silent',
        worker.lastHeartbeatAt,
        worker.runningJobIds.length > 0 ? worker.runningJobIds.join(', ') : '-',
      ]),
    ]),
  );
  return EXIT.ok;
}

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .description(
      'Server processes sharing the database (MODELDOCK_NODE_NAME), their heartbeat and running jobs',
    )
    .action(runAction(listWorkers));
}
