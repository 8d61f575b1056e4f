import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `vite dev` proxies the API to a server started with `npx leadflow serve` (default port 8787).
const api = process.env['LEADFLOW_API'] ?? 'http://localhost:8787';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: { '/v1': api, '/health': api, '/openapi.json': api },
  },
  build: { chunkSizeWarningLimit: 700 },
});
