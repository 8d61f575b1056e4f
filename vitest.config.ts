import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

const stub = (name: string) => fileURLToPath(new URL(`./test/editor/components/stubs/${name}.ts`, import.meta.url));

/**
 * With a PostgreSQL server to test against, the suites that store data run a
 * second time on it, as project node-postgres; the node project always runs
 * them on SQLite, the default storage.
 */
const postgresUrl = process.env['LEADFLOW_TEST_PG_URL'];
const STORAGE_SUITES = [
  'test/server/**/*.test.ts',
  'test/comparisons/**/*.test.ts',
  'test/suggest/cli.test.ts',
  'test/suggest/api.test.ts',
];

export default defineConfig({
  test: {
    passWithNoTests: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/editor/**', '**/node_modules/**'],
          env: { LEADFLOW_TEST_PG_URL: '' },
        },
      },
      ...(postgresUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'node-postgres',
                include: STORAGE_SUITES,
                // SQLite's own checkpointing has nothing to test on PostgreSQL.
                exclude: ['test/server/checkpoints.test.ts', '**/node_modules/**'],
                env: { LEADFLOW_TEST_PG_URL: postgresUrl },
              },
            },
          ]
        : []),
      {
        // The editor's components in a simulated DOM; SvelteKit's $app modules are stood in for.
        extends: true,
        plugins: [svelte({ configFile: false, compilerOptions: { runes: true } }), svelteTesting()],
        resolve: { alias: { '$app/paths': stub('app-paths'), '$app/navigation': stub('app-navigation'), '$app/state': stub('app-state') } },
        test: {
          name: 'editor',
          include: ['test/editor/components/**/*.test.ts'],
          environment: 'jsdom',
          globalSetup: ['test/editor/components/sync.ts'],
        },
      },
      {
        // The built editor in Chromium against a real server.
        extends: true,
        test: { name: 'editor-e2e', include: ['test/editor/e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 },
      },
    ],
  },
});
