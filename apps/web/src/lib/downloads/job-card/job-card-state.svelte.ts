/**
 * What the parts of one job card share (the job, its title, a command in flight, the last error,
 * the cancel confirmation), handed down as a typed context: `JobCard` creates it, `JobActions`,
 * `JobStats`, `FileList`, `CancelConfirm` and `RollbackOffer` read it.
 */
import { createContext } from 'svelte';
import type { Job } from '$lib/api/types';
import type { ApiErrorView } from '$lib/api/api-error';
import { removeJob, runJobCommand, setPriority } from '$lib/downloads/job-actions';
import type { JobCommand } from '$lib/downloads/job-actions';
import { allows, isFinished } from '$lib/downloads/job-status';
import type { JobAction } from '$lib/downloads/job-status';
import { partialBytesOf } from '$lib/downloads/job-display';

export interface JobCardProps {
  job: Job;
  title: string;
  queuePosition: number | undefined;
}

export class JobCardState {
  readonly #props: () => JobCardProps;

  busy = $state<JobCommand | 'priority' | 'remove' | null>(null);
  actionError = $state<ApiErrorView | null>(null);
  confirmingCancel = $state(false);

  readonly finished = $derived.by(() => isFinished(this.job));
  readonly moving = $derived.by(
    () => this.job.status === 'running' || this.job.status === 'verifying',
  );
  /** Bytes of partial files a failed job keeps for a retry; Cancel frees them. */
  readonly heldBytes = $derived.by(() => partialBytesOf(this.job));

  constructor(props: () => JobCardProps) {
    this.#props = props;
  }

  get job(): Job {
    return this.#props().job;
  }

  get title(): string {
    return this.#props().title;
  }

  get queuePosition(): number | undefined {
    return this.#props().queuePosition;
  }

  /** Whether the server accepts this action on the job now. */
  can(action: JobAction): boolean {
    return allows(this.job, action);
  }

  async run(command: JobCommand): Promise<void> {
    this.busy = command;
    this.actionError = null;
    const outcome = await runJobCommand(command, this.job.id);
    this.busy = null;
    this.confirmingCancel = false;
    if (!outcome.ok) this.actionError = outcome.error;
  }

  /** Off the list; the files it completed stay where they are. */
  async remove(): Promise<void> {
    this.busy = 'remove';
    this.actionError = null;
    const outcome = await removeJob(this.job.id);
    this.busy = null;
    if (!outcome.ok) this.actionError = outcome.error;
  }

  /** Sets the priority typed into `input`, or puts the job's back with a message. */
  async changePriority(input: HTMLInputElement): Promise<void> {
    const job = this.job;
    const priority = Number(input.value);
    if (!Number.isInteger(priority) || priority < 0) {
      this.actionError = {
        message: 'Priority must be a whole number, 0 or more.',
        code: 'INVALID_INPUT',
      };
      input.value = String(job.priority);
      return;
    }
    if (priority === job.priority) return;
    this.busy = 'priority';
    this.actionError = null;
    const outcome = await setPriority(job.id, priority);
    this.busy = null;
    if (!outcome.ok) {
      this.actionError = outcome.error;
      input.value = String(job.priority);
    }
  }
}

export const [getJobCard, setJobCard] = createContext<JobCardState>();
