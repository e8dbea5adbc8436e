/** What the API shows about a saved key: never the key, only enough to tell which one it is. */
import type { ApiKeyPlatform } from './api-key-platforms';

export interface ApiKeyView {
  platform: ApiKeyPlatform;
  last4: string;
  /** ISO timestamp. */
  createdAt: string;
  validatedAt: string | null;
  /** Whether the platform accepted the key when last asked; null when it could not be asked yet. */
  valid: boolean | null;
  message: string | null;
}

/** A token the operator gave in the server's environment: shown so Settings tells the whole story. */
export interface EnvironmentKeyView {
  platform: ApiKeyPlatform;
  last4: string;
  /** The variables it can come from, e.g. "MODELDOCK_HF_TOKEN or HF_TOKEN". */
  variable: string;
  /** False while a key saved in Settings takes precedence over it. */
  inUse: boolean;
}
