// ESLint (flat config) with typescript-eslint: `npm run lint:es`.
// Typed linting (projectService reads tsconfig.json) so that switch-exhaustiveness-check knows the unions.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Size limits counted without blank lines and comments. */
const size = (maxFile, maxFunction, severity) => ({
  'max-lines': [severity, { max: maxFile, skipBlankLines: true, skipComments: true }],
  'max-lines-per-function': [severity, { max: maxFunction, skipBlankLines: true, skipComments: true, IIFEs: true }],
});

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'build/', 'bench-results/', 'models/', 'schemas/'] },

  js.configs.recommended,
  tseslint.configs.recommended,

  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A new op kind (or any new member of a union) must not be silently skipped by an old switch.
      // considerDefaultExhaustiveForUnions: false — a `default:` does NOT count as covering the union, so a
      //   member with no `case` is an error even when the switch has a default (the default would otherwise
      //   swallow the new member without anyone noticing).
      // allowDefaultCaseForExhaustiveSwitch: true — a defensive `default: throw` stays allowed on an exhaustive
      //   switch, since values often come from parsed files whose type the compiler only assumes.
      // requireDefaultForNonUnion: true — a switch on a plain string/number (e.g. an ONNX op_type) has no
      //   member list to check, so it must say what happens to anything unlisted.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        {
          considerDefaultExhaustiveForUnions: false,
          allowDefaultCaseForExhaustiveSwitch: true,
          requireDefaultForNonUnion: true,
        },
      ],
      // `_`-prefixed names are deliberately unused (ignored loop variables, positional parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },

  // The product: files and functions small enough to read in one sitting.
  { files: ['src/**/*.ts', 'circuits/**/*.ts'], rules: size(400, 80, 'error') },
  // Tests and dev tools: a test's setup, its table of cases and its assertions read best in one place, and a
  // bench or fuzz script is a long straight list of steps; still flagged (warning) so they do not grow unchecked.
  { files: ['test/**/*.ts', 'tools/**/*.ts'], rules: size(800, 150, 'warn') },
  // Attack tests tamper with parsed JSON and forge ill-typed values on purpose: `as any` says exactly that.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },

  // The executable shim: plain ESM JavaScript (no type information, none of the typed rules above apply).
  {
    files: ['bin/zkinfer'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2022, globals: { process: 'readonly' } },
  },
  // Config files at the root.
  {
    files: ['*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
);
