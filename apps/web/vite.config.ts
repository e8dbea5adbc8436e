import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `vite dev` forwards the API (HTTP and WebSocket) to a running modeldock server, so the app keeps
// talking to its own origin exactly as it does when the server serves the build.
const apiTarget = process.env.MODELDOCK_API_URL ?? 'http://127.0.0.1:8787';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: {
      '/trpc': { target: apiTarget, ws: true, changeOrigin: false },
      '/auth': { target: apiTarget, changeOrigin: false },
    },
  },
});
