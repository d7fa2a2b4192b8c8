// One linter for the workspace: typescript-eslint's type-aware rules on every TypeScript file, with
// formatting left to Prettier (eslint-config-prettier turns off the rules the two would argue about).

import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test-output/**', 'var/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Matching control characters is the point here: feed text and farm output are escaped before they reach a terminal.
      'no-control-regex': 'off',
    },
  },
  {
    // The built code loads zod, yaml, ioredis and pino from their pre-bundled files (package.json
    // `#zod` …, scripts/bundle-vendor.mjs). A value import of the package itself would type-check and
    // pass every test (which run the sources, where `#zod` is zod), then load a second copy in
    // production, whose classes fail `instanceof` against the bundle's. Types may come from anywhere.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['packages/test-utils/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['zod', 'yaml', 'ioredis', 'pino'].map((name) => ({
            name,
            message: `import it from '#${name}' (packages/core), the pre-bundled copy the built code runs`,
            allowTypeImports: true,
          })),
        },
      ],
    },
  },
  {
    // Tests: vitest's asymmetric matchers (expect.any, expect.objectContaining, …) are typed `any`,
    // waitFor takes async predicates that may not await, and fixtures must destructure (`{}`) their
    // first argument. The type-aware rules that matter (floating promises, misused promises) stay on.
    files: ['**/test/**/*.ts', 'packages/test-utils/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      'no-empty-pattern': 'off',
    },
  },
  {
    // Plain JavaScript (the bin, bench's entry, this file): no type information to lint with.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
