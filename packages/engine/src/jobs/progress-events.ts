/**
 * Live progress of one running job: bytes received per file (ahead of what is durable), the speed,
 * and progress events coalesced to at most one per `progressIntervalMs` while bytes flow, so a
 * browser sees steady movement without being flooded by every chunk.
 */
import type { FileRecord, JobRecord, LiveProgress } from '../job-model';
import type { Clock } from '../ports';
import type { JobEventHub } from './job-events';
import { SpeedMeter } from './speed-meter';

export class JobProgress {
  readonly bytesByFileId = new Map<string, number>();
  private readonly lastReported = new Map<string, number>();
  private readonly meter: SpeedMeter;
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private pendingTimer: AbortController | null = null;
  private closed = false;

  constructor(
    private readonly currentJob: () => JobRecord,
    private readonly hub: JobEventHub,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {
    this.meter = new SpeedMeter(clock.now());
  }

  /** A file starts (or resumes) from its durable offset: only bytes beyond it count as new. */
  startFile(file: FileRecord): void {
    this.lastReported.set(file.id, file.bytesDone);
  }

  /** `bytesReceived` is the file's received position; a smaller value means it restarted from 0. */
  received(fileId: string, bytesReceived: number): void {
    const previous = this.lastReported.get(fileId) ?? 0;
    if (bytesReceived > previous) this.meter.add(bytesReceived - previous, this.clock.now());
    this.lastReported.set(fileId, bytesReceived);
    this.bytesByFileId.set(fileId, bytesReceived);
    this.changed();
  }

  /** The file's bytes are final (completed) or gone (restarted, rolled back): stop overlaying them. */
  forgetFile(fileId: string): void {
    this.bytesByFileId.delete(fileId);
  }

  speedBps(): number {
    return Math.round(this.meter.bytesPerSecond(this.clock.now()));
  }

  live(): LiveProgress {
    return { bytesByFileId: new Map(this.bytesByFileId), speedBps: this.speedBps() };
  }

  /** Something a viewer would want to see changed; publishes now or at the next allowed moment. */
  changed(): void {
    if (this.closed || this.pendingTimer) return;
    const waitMs = this.lastEmitAt + this.intervalMs - this.clock.now();
    if (waitMs <= 0) {
      this.emit();
      return;
    }
    const timer = new AbortController();
    this.pendingTimer = timer;
    this.clock.sleep(waitMs, timer.signal).then(
      () => {
        if (this.pendingTimer !== timer) return;
        this.pendingTimer = null;
        this.emit();
      },
      () => undefined,
    );
  }

  /** No more progress events for this run (a status event says what happened). */
  close(): void {
    this.closed = true;
    this.pendingTimer?.abort();
    this.pendingTimer = null;
  }

  private emit(): void {
    if (this.closed) return;
    this.lastEmitAt = this.clock.now();
    this.hub.publishProgress(this.currentJob(), this.live());
  }
}
