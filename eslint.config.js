// ESLint flat config: typescript-eslint's and eslint-plugin-svelte's recommended rules; formatting is Prettier's job.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './editor/svelte.config.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'editor/.svelte-kit/', 'editor/build/', 'test-artifacts/', 'bench/.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['editor/**/*.svelte', 'editor/**/*.svelte.ts', 'test/editor/**/*.svelte'],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: tseslint.parser, svelteConfig },
    },
  },
  {
    files: ['bin/**/*.js', '*.config.js', 'editor/*.config.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests build loose JSON fixtures on purpose.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
  ...svelte.configs.prettier,
);
