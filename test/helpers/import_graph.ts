/**
 * The import graph of src/ and the checks the structure test runs on it: cycles between files, and
 * imports that go up (or sideways between siblings) in the layer order. Imports are read with the
 * TypeScript parser, so comments and strings never count; type-only imports, re-exports, dynamic
 * import() and worker entry points (new URL('./x.js', import.meta.url)) all count as dependencies, for
 * the layer order and for cycles: a type-only import back is erased at compile time, but readers and
 * dependency tools see the two files as a loop all the same.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import ts from 'typescript';

export interface ImportEdge { from: string; to: string; line: number; typeOnly?: boolean }
/** Files (paths relative to the source root, '/'-separated) and their imports of other files. */
export interface ImportGraph { files: string[]; edges: ImportEdge[] }

function listTs(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(posix.join(root, dir)).sort()) {
    const rel = dir ? `${dir}/${name}` : name;
    if (statSync(posix.join(root, rel)).isDirectory()) out.push(...listTs(root, rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative module specifiers of one file with their line numbers. */
export function importSpecifiers(text: string, fileName = 'x.ts'): { spec: string; line: number; typeOnly: boolean }[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const out: { spec: string; line: number; typeOnly: boolean }[] = [];
  const add = (node: ts.Node, lit: ts.Expression | undefined, typeOnly = false): void => {
    if (lit && ts.isStringLiteralLike(lit)) out.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, typeOnly });
  };
  /** `import type {..}`, or `import { type A, type B }` with nothing else: erased at compile time. */
  const isTypeOnly = (node: ts.ImportDeclaration | ts.ExportDeclaration): boolean => {
    if (ts.isExportDeclaration(node)) return node.isTypeOnly;
    const c = node.importClause;
    if (!c) return false;
    if (c.isTypeOnly) return true;
    const b = c.namedBindings;
    return !c.name && !!b && ts.isNamedImports(b) && b.elements.length > 0 && b.elements.every((e) => e.isTypeOnly);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, isTypeOnly(node));
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL' && node.arguments?.length === 2
      && node.arguments[1]!.getText(sf) === 'import.meta.url') add(node, node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out.filter((s) => s.spec.startsWith('.'));
}

/** Every .ts file under `root` and its relative imports, resolved to files ('./a.js' -> 'a.ts'). */
export function readImportGraph(root: string): ImportGraph {
  const files = listTs(root);
  const edges: ImportEdge[] = [];
  for (const from of files) {
    for (const { spec, line, typeOnly } of importSpecifiers(readFileSync(posix.join(root, from), 'utf8'), from)) {
      edges.push({ from, to: posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts'), line, typeOnly });
    }
  }
  return { files, edges };
}

/** One cycle per strongly connected component (Tarjan), each as a file path a -> b -> ... -> a. */
export function findCycles(g: ImportGraph): string[][] {
  const next = new Map<string, string[]>();
  for (const f of g.files) next.set(f, []);
  for (const e of g.edges) if (next.has(e.to)) next.get(e.from)!.push(e.to);
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || next.get(v)!.includes(v)) components.push(comp);
    }
  };
  for (const f of g.files) if (!index.has(f)) strong(f);
  // a shortest cycle through the component's first file (breadth first inside the component)
  return components.map((comp) => {
    const inComp = new Set(comp), start = [...comp].sort()[0]!;
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of next.get(v)!) {
        if (!inComp.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
          return [...path, start];
        }
        if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
      }
    }
    return [start, start];
  });
}

export interface LayerRules {
  /** Groups lower first; a group's members are siblings (they may not import each other). */
  order: string[][];
  /** Layers that may import only the layers listed (e.g. a leaf that needs only util). */
  onlyFrom?: Record<string, string[]>;
  /** [from, to] layer pairs accepted although the order forbids them. */
  tolerated?: [string, string][];
}

/** Why an import from layer `a` of layer `b` breaks the rules, or null when it is allowed. */
export function layerProblem(rules: LayerRules, a: string, b: string): string | null {
  if (a === b) return null;
  const rank = (l: string): number => rules.order.findIndex((g) => g.includes(l));
  const ra = rank(a), rb = rank(b);
  if (ra < 0) return `'${a}' is not in the layer order`;
  if (rb < 0) return `'${b}' is not in the layer order`;
  if (rules.tolerated?.some(([x, y]) => x === a && y === b)) return null;
  const only = rules.onlyFrom?.[a];
  if (only && !only.includes(b)) return `${a} may import only ${only.join(', ')}`;
  if (ra === rb) return `${a} and ${b} are siblings and may not import each other`;
  if (ra < rb) return `${a} is below ${b} and may not import it`;
  return null;
}

/** The layer of a file: its first path segment below `prefix` ('' for the whole tree), or null outside it. */
function layerOf(file: string, prefix: string): string | null {
  if (prefix && !file.startsWith(`${prefix}/`)) return null;
  const rest = prefix ? file.slice(prefix.length + 1) : file;
  const slash = rest.indexOf('/');
  return slash < 0 ? `(file ${rest})` : rest.slice(0, slash);
}

/** Every edge that breaks the rules, for the layers directly below `prefix`, as readable lines. */
export function layerViolations(g: ImportGraph, rules: LayerRules, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of g.edges) {
    const a = layerOf(e.from, prefix), b = layerOf(e.to, prefix);
    if (a === null) continue;
    if (b === null) { if (!prefix) out.push(`${e.from}:${e.line} imports ${e.to}, outside the tree`); continue; }
    const why = layerProblem(rules, a, b);
    if (why) out.push(`${e.from}:${e.line} imports ${e.to}: ${why}`);
  }
  return out;
}

/** Edges whose target is not a file of the graph (a typo or a file outside the tree). */
export function danglingImports(g: ImportGraph): string[] {
  const known = new Set(g.files);
  return g.edges.filter((e) => !known.has(e.to)).map((e) => `${e.from}:${e.line} imports ${e.to}, which is not a source file`);
}

/** Edges between two layers that are tolerated, to list them (they should go away). */
export function toleratedEdges(g: ImportGraph, rules: LayerRules, prefix = ''): ImportEdge[] {
  return g.edges.filter((e) => {
    const a = layerOf(e.from, prefix), b = layerOf(e.to, prefix);
    return a !== null && b !== null && (rules.tolerated ?? []).some(([x, y]) => x === a && y === b);
  });
}
