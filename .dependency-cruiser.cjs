/**
 * The import rule (docs/architecture.md), checked by `npm run lint:deps` inside `npm test`.
 *
 * Rooms are stacked in pipeline order; a room may import only rooms below it (and itself).
 * The same stack is written in docs/architecture.md: change both together.
 */
const LAYERS = [
  ['src/core'],
  ['circuits'],
  ['src/formats'],
  ['src/runtime'],
  ['src/onnx'],
  ['src/quantize'],
  ['src/compile'],
  ['src/setup'],
  ['src/prove'],
  ['src/verify'],
  ['src/chain'],
  ['src/accuracy'],
  ['src/audit', 'src/queue'],
  ['src/pipeline.ts'],
  ['src/index.ts', 'src/cli'],
];

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pathRe = (room) => (room.endsWith('.ts') ? `^${esc(room)}$` : `^${esc(room)}/`);
const anyOf = (rooms) => rooms.map(pathRe).join('|');

/**
 * The one exception to the stack: the prover checks every proof before it becomes a bundle with
 * the verifier of the key's proof system, so src/prove may import the pure proof verifiers of
 * src/verify (proof-check.ts and the two it dispatches to), which import nothing above src/prove.
 */
const PROVER_SELF_CHECK = '^src/verify/(proof-check|groth16|ultragroth)\\.ts$';

/** For each layer: it must not import any room stacked above it, nor a sibling on its own level. */
const layerRules = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  const rules = [];
  for (const room of layer) {
    const forbidden = [...above, ...layer.filter((r) => r !== room)];
    if (forbidden.length === 0) continue;
    rules.push({
      name: `layer:${room}`,
      comment: `${room} imports only rooms below it (docs/architecture.md, "The import rule")`,
      severity: 'error',
      from: { path: pathRe(room) },
      to: room === 'src/prove' ? { path: anyOf(forbidden), pathNot: PROVER_SELF_CHECK } : { path: anyOf(forbidden) },
    });
  }
  return rules;
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles, not even type-only ones',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-tools-or-tests',
      comment: 'the product never imports dev tools or tests',
      severity: 'error',
      from: { path: '^(src|circuits)/' },
      to: { path: '^(tools|test)/' },
    },
    {
      name: 'verifier-not-dev-keygen',
      comment: "the verifier's import graph never loads the dev key generator",
      severity: 'error',
      from: { path: '^src/verify/' },
      to: { path: '^src/setup/dev/', reachable: true },
    },
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    ...layerRules,
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // Resolve packages through their `exports` map as Node does (pure-rand has subpath exports only).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '^dist/' },
  },
};
