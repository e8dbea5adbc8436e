/** What other packages may import from the server: the router's type, nothing that runs. */
export type { AppRouter } from './root';
