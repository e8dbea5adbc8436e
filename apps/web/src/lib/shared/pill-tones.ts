/** The colours a pill can take: the status palette of app.css (`--<tone>` on `--<tone>-soft`). */
export type PillTone =
  'queued' | 'running' | 'verifying' | 'paused' | 'stalled' | 'completed' | 'failed' | 'cancelled';
