import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web shop's build. Where the graph and the test PSP are is decided at build time:
 * VITE_GRAPHQL_URL (default http://localhost:4000/graphql) and VITE_PSP_URL (default
 * http://localhost:4010); `npm start` serves it on http://localhost:3000.
 */
export default defineConfig({
  plugins: [react()],
  server: { port: 3000, strictPort: true, host: 'localhost' },
  preview: { port: 3000, strictPort: true, host: 'localhost' },
  build: { outDir: 'dist', sourcemap: true },
});
