/** The version reported by `health` and the startup log: the server package's own. */
import serverPackage from '../package.json' with { type: 'json' };

export const VERSION: string = serverPackage.version;
