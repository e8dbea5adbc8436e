/** The reactive face of kept-files.ts: which jobs' rollback offers this browser has dismissed. */
import { SvelteSet } from 'svelte/reactivity';
import { keptCompletedFiles, rememberKeptCompletedFiles } from './kept-files';

class KeptFilesChoice {
  #ids: SvelteSet<string> | null = null;

  /** Read lazily: storage exists only in the browser. */
  #load(): SvelteSet<string> {
    this.#ids ??= new SvelteSet(keptCompletedFiles(localStorage));
    return this.#ids;
  }

  has(jobId: string): boolean {
    return this.#load().has(jobId);
  }

  keep(jobId: string): void {
    this.#load().add(jobId);
    rememberKeptCompletedFiles(localStorage, jobId);
  }
}

export const keptFiles = new KeptFilesChoice();
