/**
 * `modeldock add <url|repo|preset>`: shows what the source resolves to (files, sizes, where they
 * go), asks before several files unless --yes, starts the download and, with --wait, follows it
 * to the end and exits with its result.
 */
import type { Command } from 'commander';
import type { EnqueueInput, SourcePreview } from '@modeldock/client';
import { runAction } from '../command-context';
import type { CommandContext } from '../command-context';
import { confirm } from '../confirm';
import { CliError, EXIT, usageError } from '../exit-codes';
import type { ExitCode } from '../exit-codes';
import { formatBytes, table } from '../format';
import { collect, integerOption } from '../option-parsers';
import { followJob } from './follow-job';

interface AddOptions {
  folder?: string;
  name?: string;
  sha256?: string;
  include?: string[];
  exclude?: string[];
  revision?: string;
  priority?: number;
  node?: string;
  yes?: boolean;
  wait?: boolean;
}

function requestFrom(input: string, options: AddOptions): EnqueueInput {
  const request: EnqueueInput = { url: input };
  if (options.folder !== undefined) request.folder = options.folder;
  if (options.name !== undefined) request.filename = options.name;
  if (options.sha256 !== undefined) request.sha256 = options.sha256;
  if (options.include?.length) request.include = options.include;
  if (options.exclude?.length) request.exclude = options.exclude;
  if (options.revision !== undefined) request.revision = options.revision;
  if (options.priority !== undefined) request.priority = options.priority;
  if (options.node !== undefined) request.node = options.node;
  return request;
}

/** The files' sizes added up, with Civitai's published estimates where the exact size is unknown. */
function totalOf(preview: SourcePreview): number | null {
  let total = 0;
  for (const file of preview.files) {
    const size = file.bytesTotal ?? file.estimatedBytes;
    if (size === null) return null;
    total += size;
  }
  return total;
}

function describePreview(preview: SourcePreview): string {
  const rows = preview.files.map((file) => [
    file.bytesTotal !== null
      ? formatBytes(file.bytesTotal)
      : file.estimatedBytes !== null && file.estimatedBytes !== undefined
        ? `~${formatBytes(file.estimatedBytes)}`
        : '?',
    file.onDisk === 'present'
      ? 'on disk'
      : file.onDisk === 'partial'
        ? 'partial'
        : file.onDisk === 'conflict'
          ? 'CONFLICT'
          : '',
    file.relativePath,
  ]);
  const total = totalOf(preview);
  const lines = [
    `${preview.source} (${preview.kind}): ${preview.files.length} file${preview.files.length === 1 ? '' : 's'}, ${total === null ? 'size unknown' : formatBytes(total)}`,
    table(rows)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  ];
  for (const warning of preview.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

async function add(context: CommandContext, input: string, options: AddOptions): Promise<ExitCode> {
  const client = context.client();
  const request = requestFrom(input, options);
  const { priority: _priority, node: _node, ...previewRequest } = request;
  const preview = await client.sources.resolve.query(previewRequest);
  if (preview.accessProblem) {
    throw new CliError(preview.accessProblem.code, preview.accessProblem.message, EXIT.failed);
  }
  if (preview.choiceRequired || preview.files.length === 0) {
    throw usageError(
      preview.choiceRequired ??
        `${preview.source} has no file to download: narrow or widen --include / --exclude`,
    );
  }
  if (!context.json) process.stderr.write(`${describePreview(preview)}\n`);
  if (preview.files.length > 1 && !options.yes) {
    const total = totalOf(preview);
    const question = `Download ${preview.files.length} files (${total === null ? 'size unknown' : formatBytes(total)})?`;
    if (!(await confirm(question, '--yes'))) {
      context.note('Nothing was downloaded.');
      return EXIT.usage;
    }
  }
  const queued = await client.downloads.enqueue.mutate(request);
  if (!options.wait) {
    if (context.json) context.printJson({ preview, queued });
    else if (queued.attached)
      context.say(`Attached to job ${queued.jobId}, which already downloads this.`);
    else context.say(`Queued job ${queued.jobId}. Follow it with: modeldock watch ${queued.jobId}`);
    return EXIT.ok;
  }
  const job = await followJob(context, queued.jobId);
  if (context.json) context.printJson({ preview, queued, job });
  return job && job.status === 'completed' ? EXIT.ok : EXIT.failed;
}

export function registerAdd(program: Command): void {
  program
    .command('add')
    .description(
      'Download a model: a URL, an org/name repository, hf://…, a Civitai link or AIR, or preset:<id>',
    )
    .argument('<source>', 'what to download (as you would paste it in the web app)')
    .option('--folder <folder>', 'folder under the models root (default: by model type)')
    .option('--name <filename>', 'file name to save a single file as')
    .option('--sha256 <hex>', 'expected SHA-256 of a single file')
    .option('--include <glob>', 'only files matching this pattern (repeatable)', collect)
    .option('--exclude <glob>', 'leave out files matching this pattern (repeatable)', collect)
    .option('--revision <revision>', 'branch, tag or commit of a Hugging Face repository')
    .option('--priority <n>', 'higher runs first (default 0)', integerOption('--priority'))
    .option(
      '--node <name>',
      'the worker (its MODELDOCK_NODE_NAME) that must download it, into its own models folder',
    )
    .option('-y, --yes', 'download several files without asking')
    .option('-w, --wait', 'follow the download and exit with its result (0 done, 1 failed)')
    .addHelpText(
      'after',
      `
Examples:
  modeldock add hf://city96/FLUX.1-dev-gguf/flux1-dev-Q4_0.gguf --wait
  modeldock add unsloth/Qwen3-4B-Instruct-2507-GGUF --include '*Q8_0.gguf' --yes
  modeldock add https://civitai.com/models/827184?modelVersionId=2514310 --folder loras
  modeldock add preset:z-image-turbo --yes --wait`,
    )
    .action(runAction(add));
}
