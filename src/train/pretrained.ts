/**
 * `--pretrained WEIGHTS`: a fresh network takes every tensor of a safetensors file whose name and
 * shape it shares; the rest keeps its initialisation. Tensors of other shapes are skipped (the stem
 * and the heads when input channels or classes differ), as are names the network does not have
 * (blocks deleted here, other heads) and its own tensors the file lacks (blocks pruned away in the
 * pre-trained model).
 */
import { loadSafetensors, noGrad } from '../tensor/index.js';
import type { TrainableNetwork } from './interfaces.js';

export interface PretrainedReport {
  path: string;
  /** Tensors copied into the network. */
  loaded: string[];
  /** In both, shapes differ: [name, file shape, network shape]. */
  shapeMismatch: [string, number[], number[]][];
  /** In the file only. */
  unused: string[];
  /** In the network only (kept at their initial values). */
  missing: string[];
}

export function loadPretrained(net: TrainableNetwork, path: string): PretrainedReport {
  const file = loadSafetensors(path); // errors name the file
  try {
    const own = net.stateDict();
    const report: PretrainedReport = { path, loaded: [], shapeMismatch: [], unused: [], missing: [] };
    noGrad(() => {
      for (const [name, t] of own) {
        const src = file.tensors.get(name);
        if (!src) { report.missing.push(name); continue; }
        if (src.shape.join() !== t.shape.join()) { report.shapeMismatch.push([name, [...src.shape], [...t.shape]]); continue; }
        t.copy_(src);
        report.loaded.push(name);
      }
    });
    report.unused = [...file.tensors.keys()].filter((k) => !own.has(k));
    if (report.loaded.length === 0)
      throw new Error(`${path}: no tensor of the file fits the network (names or shapes differ everywhere); is it a pspseg checkpoint of the same kind of network?`);
    return report;
  } finally {
    for (const t of file.tensors.values()) t.dispose();
  }
}

const list = (names: string[], n = 6): string => (names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')}, ... (${names.length - n} more)`);

/** The lines `pspseg train` prints about what was loaded and what was skipped. */
export function formatPretrainedReport(r: PretrainedReport): string[] {
  const lines = [`pretrained ${r.path}: loaded ${r.loaded.length} tensor(s)`];
  if (r.shapeMismatch.length)
    lines.push(`  skipped (shape differs, kept initial): ${list(r.shapeMismatch.map(([n, a, b]) => `${n} [${a}] vs [${b}]`), 8)}`);
  if (r.missing.length) lines.push(`  not in the file (kept initial): ${list(r.missing)}`);
  if (r.unused.length) lines.push(`  in the file but not in the network (ignored): ${list(r.unused)}`);
  return lines;
}
