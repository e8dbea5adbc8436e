/**
 * What a download asks for (`EnqueueRequest`, `PreviewRequest`) and what enqueueing answers: the
 * vocabulary the job layer, the sources that resolve a request and the library that re-downloads
 * share. It sits below all of them, so none of them imports `jobs/` for it.
 */

export interface EnqueueRequest {
  /** What the user pasted: a direct URL today; Hugging Face / Civitai inputs through sources/. */
  url: string;
  /** Folder under the models root, e.g. "checkpoints"; confined to the root. */
  folder?: string;
  /** Final file name; sanitised. Only meaningful for single-file inputs. */
  filename?: string;
  /** Expected SHA-256 (hex) given by the user. */
  sha256?: string;
  /** Higher runs first; default 0. Must be >= 0. */
  priority?: number;
  /** Per-job bandwidth cap in bytes per second. */
  bandwidthLimitBps?: number | null;
  /** For multi-file jobs: keep completed files or roll the whole job back when one fails. */
  onFileFailure?: 'keep' | 'rollback';
  /**
   * Hugging Face: branch, tag or commit to download (default: the one in the URL, else "main").
   * The files are pinned to the commit it points to when the job is created.
   */
  revision?: string;
  /** Hugging Face repositories: glob patterns of files to take, e.g. ["*Q8_0.gguf"] (fnmatch: `*` also crosses '/'). */
  include?: string[];
  /** Hugging Face repositories: glob patterns of files to leave out, applied after `include`. */
  exclude?: string[];
  /**
   * Hugging Face repositories or folders: exactly these files (paths in the repository), each
   * optionally with its own folder — what the file picker sends. Overrides the default selection.
   */
  files?: PickedFile[];
  /** Civitai: which file of the model version to take; default the version's primary file. */
  civitaiFile?: CivitaiFileChoice;
  /**
   * Where files land under the models root: 'comfyui' (default) puts each file in its ComfyUI folder
   * (checkpoints, loras, vae, …); 'hf-cache' writes a Hugging Face cache (models--org--name/…) so
   * diffusers and transformers find the files offline (HF_HOME=<models root>/huggingface).
   */
  layout?: DestinationLayout;
  /**
   * When a file's expected SHA-256 matches a file already under the models root (found through the
   * local file index), place that file at the destination (hard link on the same file system, else a
   * copy) and verify it, instead of downloading it again.
   */
  reuseExisting?: boolean;
  /**
   * The worker (its MODELDOCK_NODE_NAME) that must download it, into its own models folder; absent =
   * any worker sharing the database. While that worker is not running the job waits.
   */
  node?: string;
  /** `bundle:<label>` inputs only: the files of the bundle, each from its own source (see BundleItem). */
  bundle?: BundleItem[];
}

/** One file of a bundle job: what to resolve, and exactly where it lands. */
export interface BundleItem {
  /** What a user could paste: hf://org/name@commit/path, a Civitai link or id, an http(s) URL. */
  input: string;
  /** Folder under the models root ('' for the root; the cache folder with layout 'hf-cache'). */
  folder: string;
  /** File name inside `folder` (ignored with layout 'hf-cache'). */
  filename?: string;
  /** Expected SHA-256; the file is verified against it. */
  sha256?: string;
  civitaiFile?: CivitaiFileChoice;
  layout?: DestinationLayout;
}

export type DestinationLayout = 'comfyui' | 'hf-cache';

/** One ticked file of a repository. */
export interface PickedFile {
  path: string;
  /** Folder under the models root for this file; default: the request's folder, else the detected one. */
  folder?: string;
}

/** Civitai file filters, matched case-insensitively against the version's files; `fileId` picks one exactly. */
export interface CivitaiFileChoice {
  /** File type: "Model", "Pruned Model", "VAE", "Text Encoder", "Config", … */
  type?: string;
  /** "SafeTensor", "PickleTensor", "GGUF", "Diffusers", "ONNX", "Other". */
  format?: string;
  /** "full" or "pruned". */
  size?: string;
  /** "fp32", "fp16", "bf16", "fp8", "nf4". */
  fp?: string;
  /** GGUF quantisation, e.g. "Q8_0". */
  quantType?: string;
  fileId?: number;
}

export interface EnqueueResult {
  jobId: string;
  /**
   * True when an active job created from the same request (same link, folder, file name, files…)
   * exists and the request attached to it. What the job finds on disk (files already present, or
   * reused with `reuseExisting`) is known after its first step: see the job's files (status
   * 'present', or 'completed' with no byte downloaded).
   */
  attached: boolean;
}

/** What `preview` takes: an enqueue request without the fields that only matter once it runs. */
export type PreviewRequest = Omit<
  EnqueueRequest,
  'priority' | 'bandwidthLimitBps' | 'onFileFailure' | 'reuseExisting'
>;
