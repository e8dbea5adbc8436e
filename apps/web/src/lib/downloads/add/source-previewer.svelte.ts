/**
 * Asks the server what a pasted link resolves to, before anything starts. A newer question replaces
 * an older one: the older request is aborted and its late answer ignored, so the page never shows a
 * preview of something other than what is in the form.
 */
import { previewSource } from '$lib/downloads/add/source-actions';
import type { ApiErrorView } from '$lib/api/api-error';
import type { ResolveInput, SourcePreview } from '$lib/api/types';
import { requestKey } from './download-request';

export type PreviewState =
  | { phase: 'idle' }
  | { phase: 'loading'; key: string; input: ResolveInput }
  | { phase: 'ready'; key: string; input: ResolveInput; preview: SourcePreview }
  | { phase: 'failed'; key: string; input: ResolveInput; error: ApiErrorView };

export class SourcePreviewer {
  state = $state<PreviewState>({ phase: 'idle' });
  /** The last successful preview, kept on screen (dimmed) while a newer one loads. */
  lastPreview = $state<{ key: string; input: ResolveInput; preview: SourcePreview } | null>(null);

  #timer: ReturnType<typeof setTimeout> | null = null;
  #inFlight: AbortController | null = null;
  #generation = 0;

  /** Previews `input` once the person has stopped typing for `delayMs`, unless it is already shown. */
  schedule(input: ResolveInput, delayMs: number): void {
    const key = requestKey(input);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Back to the question already asked (typed and undone): its answer, or its request, stands.
    if (this.state.phase !== 'idle' && this.state.key === key) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.run(input);
    }, delayMs);
  }

  /** Previews `input` now, even when the same question was answered before. */
  async run(input: ResolveInput): Promise<PreviewState> {
    this.#cancelPending();
    const generation = ++this.#generation;
    const key = requestKey(input);
    const controller = new AbortController();
    this.#inFlight = controller;
    this.state = { phase: 'loading', key, input };
    const outcome = await previewSource(input, controller.signal);
    if (generation !== this.#generation) return this.state;
    this.#inFlight = null;
    if (outcome.ok) {
      this.state = { phase: 'ready', key, input, preview: outcome.value };
      this.lastPreview = { key, input, preview: outcome.value };
    } else {
      this.state = { phase: 'failed', key, input, error: outcome.error };
    }
    return this.state;
  }

  /** Forgets everything: the form was emptied or its download was added. */
  clear(): void {
    this.#cancelPending();
    this.#generation++;
    this.state = { phase: 'idle' };
    this.lastPreview = null;
  }

  /** The preview answering exactly `key`, or null while there is none. */
  readyFor(key: string): SourcePreview | null {
    return this.state.phase === 'ready' && this.state.key === key ? this.state.preview : null;
  }

  #cancelPending(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#inFlight) {
      // The aborted request's answer must not land: it belongs to an older question.
      this.#generation++;
      this.#inFlight.abort();
      this.#inFlight = null;
    }
  }
}
