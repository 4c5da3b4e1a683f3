/**
 * The layer structure of src/ (README, "Layers"): no import cycles between files, no import that goes
 * up the layer order or sideways between siblings, and within src/data the stages in their order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';
import {
  type ImportGraph, type LayerRules, danglingImports, findCycles, importSpecifiers, layerViolations, readImportGraph, toleratedEdges,
} from './helpers/import_graph.js';

/** Lower first; layers in one group are siblings. `util` is the bottom: it imports no other layer. */
const SRC_RULES: LayerRules = {
  order: [
    ['util'], ['native'], ['tensor'], ['nn', 'optim'], ['io'], ['data'], ['models', 'losses'], ['pruning'],
    ['train', 'infer', 'eval'], ['report'], ['cli', 'web'],
  ],
  onlyFrom: { util: [], io: ['util'] }, // io (NIfTI) is a leaf above util
};

/** The stages of src/data, lower first: shared helpers, datasets, preprocessing, planning, augmentation, sampling. */
const DATA_RULES: LayerRules = {
  order: [['common'], ['dataset'], ['preprocess'], ['plan'], ['augment'], ['sampling']],
};

const graph = readImportGraph(join(repoRoot, 'src'));

const list = (lines: string[]): string => `\n  ${lines.join('\n  ')}`;

test('src/ has no import cycle between files, type-only imports included', () => {
  const cycles = findCycles(graph);
  assert.deepEqual(cycles.map((c) => c.join(' -> ')), [], `import cycles:${list(cycles.map((c) => c.join(' -> ')))}`);
});

test('every import in src/ names an existing source file', () => {
  const bad = danglingImports(graph);
  assert.deepEqual(bad, [], list(bad));
});

test('every src/ file lies in a layer folder and imports only lower layers', (t) => {
  const known = new Set(SRC_RULES.order.flat());
  const stray = graph.files.filter((f) => !known.has(f.split('/')[0]!) || !f.includes('/'));
  assert.deepEqual(stray, [], `files outside the layer folders:${list(stray)}`);
  const bad = layerViolations(graph, SRC_RULES);
  assert.deepEqual(bad, [], `imports against the layer order:${list(bad)}`);
  for (const e of toleratedEdges(graph, SRC_RULES)) t.diagnostic(`tolerated for now: ${e.from}:${e.line} imports ${e.to}`);
});

test('src/data: every file lies in a stage folder and imports only lower stages', () => {
  const known = new Set(DATA_RULES.order.flat());
  const stray = graph.files.filter((f) => f.startsWith('data/') && !known.has(f.split('/')[1]!) || /^data\/[^/]+$/.test(f));
  assert.deepEqual(stray, [], `files outside the data stage folders:${list(stray)}`);
  const bad = layerViolations(graph, DATA_RULES, 'data');
  assert.deepEqual(bad, [], `imports against the data stage order:${list(bad)}`);
});

// The checker itself, on small made-up graphs: it must catch what it is there to catch.
const made = (edges: [string, string][]): ImportGraph => ({
  files: [...new Set(edges.flat())].sort(),
  edges: edges.map(([from, to], i) => ({ from, to, line: i + 1 })),
});

test('checker: finds a cycle and names its files in order; an acyclic graph passes', () => {
  const g = made([['a/x.ts', 'a/y.ts'], ['a/y.ts', 'b/z.ts'], ['b/z.ts', 'a/x.ts'], ['b/z.ts', 'b/w.ts']]);
  assert.deepEqual(findCycles(g), [['a/x.ts', 'a/y.ts', 'b/z.ts', 'a/x.ts']]);
  assert.deepEqual(findCycles(made([['a/x.ts', 'a/y.ts'], ['a/x.ts', 'b/z.ts'], ['a/y.ts', 'b/z.ts']])), []);
  assert.deepEqual(findCycles(made([['a/x.ts', 'a/x.ts']])), [['a/x.ts', 'a/x.ts']]);
  // A type-only import back makes a cycle too (a command's runner taking its options type from the command's definition).
  const typeBack: ImportGraph = { files: ['a/x.ts', 'a/y.ts'], edges: [{ from: 'a/x.ts', to: 'a/y.ts', line: 1 }, { from: 'a/y.ts', to: 'a/x.ts', line: 1, typeOnly: true }] };
  assert.deepEqual(findCycles(typeBack), [['a/x.ts', 'a/y.ts', 'a/x.ts']]);
});

test('checker: flags upward, sibling and leaf-breaking imports with the file pair, allows downward and tolerated ones', () => {
  const g = made([
    ['tensor/t.ts', 'data/d.ts'], // up
    ['models/m.ts', 'losses/l.ts'], // siblings
    ['io/n.ts', 'tensor/t.ts'], // io is a leaf
    ['optim/o.ts', 'nn/s.ts'], // siblings
    ['data/d.ts', 'io/n.ts'], ['cli/c.ts', 'util/u.ts'], // fine
  ]);
  assert.deepEqual(layerViolations(g, SRC_RULES), [
    'tensor/t.ts:1 imports data/d.ts: tensor is below data and may not import it',
    'models/m.ts:2 imports losses/l.ts: models and losses are siblings and may not import each other',
    'io/n.ts:3 imports tensor/t.ts: io may import only util',
    'optim/o.ts:4 imports nn/s.ts: optim and nn are siblings and may not import each other',
  ]);
  assert.deepEqual(toleratedEdges(g, { ...SRC_RULES, tolerated: [['optim', 'nn']] }).map((e) => e.from), ['optim/o.ts']);
  const stages = made([['data/common/a.ts', 'data/plan/p.ts'], ['data/sampling/s.ts', 'data/augment/g.ts'], ['tensor/t.ts', 'util/u.ts']]);
  assert.deepEqual(layerViolations(stages, DATA_RULES, 'data'), ['data/common/a.ts:1 imports data/plan/p.ts: common is below plan and may not import it']);
});

test('checker: reads static, type-only, re-export, dynamic and worker imports, not comments or strings', () => {
  const src = [
    "import { a } from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from './c.js';",
    "// import { no } from './comment.js';",
    "const s = \"import { no } from './string.js'\";",
    "const d = await import('./d.js');",
    "const w = new URL('./worker.js', import.meta.url);",
    "import { readFile } from 'node:fs/promises';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(src).map((s) => `${s.line}:${s.spec}`), ['1:./a.js', '2:../b/b.js', '3:./c.js', '6:./d.js', '7:./worker.js']);
  assert.deepEqual(importSpecifiers(src).filter((s) => s.typeOnly).map((s) => s.spec), ['../b/b.js']);
  assert.deepEqual(importSpecifiers("import { type A, type B } from './t.js';\nimport { type A, c } from './m.js';").map((s) => s.typeOnly), [true, false]);
});
