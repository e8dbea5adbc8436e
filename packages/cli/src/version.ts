/** The command's own version (its package.json's), for --version. */
import manifest from '../package.json' with { type: 'json' };

export const VERSION: string = manifest.version;
