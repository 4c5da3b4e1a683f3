/** The final architecture: which blocks of which PRM survive, parameters per PRM and in total. */
import type { BlockState, PrunableNetwork, Triple } from './prunable.js';
import { kernelLabel } from './prunable.js';
import { activeParameters } from './network_ops.js';

export interface ModuleSummary {
  name: string;
  blocks: { index: number; kernel: Triple; state: BlockState }[];
  /** Indices of the active blocks. */
  surviving: number[];
  /** Parameters the PRM holds now (masked blocks included). */
  parameters: number;
}

export interface ArchitectureSummary {
  modules: ModuleSummary[];
  totalParameters: number;
  /** Parameters the forward uses (masked blocks excluded). */
  activeParameters: number;
  /** The unpruned network's. */
  initialParameters: number;
  /** 1 - total / initial. */
  reduction: number;
}

export function summarizeArchitecture(network: PrunableNetwork, initialParameters: number): ArchitectureSummary {
  const modules = network.prunableModules().map((m): ModuleSummary => {
    const blocks = m.blocks().map((b) => ({ index: b.index, kernel: [...b.kernel] as Triple, state: b.state }));
    return { name: m.name, blocks, surviving: blocks.filter((b) => b.state === 'active').map((b) => b.index), parameters: m.numParameters() };
  });
  const total = network.numParameters();
  return {
    modules,
    totalParameters: total,
    activeParameters: activeParameters(network),
    initialParameters,
    reduction: initialParameters > 0 ? 1 - total / initialParameters : 0,
  };
}

const num = (n: number) => n.toLocaleString('en-US');

/** A plain-text table for the console and the run's report. */
export function formatArchitectureSummary(s: ArchitectureSummary): string {
  const rows = s.modules.map((m) => {
    const kept = m.blocks.filter((b) => b.state === 'active').map((b) => `b${b.index} ${kernelLabel(b.kernel)}`).join(', ') || '(none: identity)';
    const masked = m.blocks.filter((b) => b.state === 'masked').map((b) => `b${b.index}`);
    const deleted = m.blocks.filter((b) => b.state === 'deleted').map((b) => `b${b.index}`);
    const notes = [masked.length ? `masked ${masked.join(' ')}` : '', deleted.length ? `deleted ${deleted.join(' ')}` : ''].filter(Boolean).join('; ');
    return [m.name, `${m.surviving.length}/${m.blocks.length}`, kept, notes, num(m.parameters)];
  });
  const head = ['PRM', 'kept', 'surviving blocks (kernel)', 'removed', 'parameters'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head), ...rows.map(line)];
  const pct = (100 * s.reduction).toFixed(1);
  out.push(`total parameters ${num(s.totalParameters)} (unpruned ${num(s.initialParameters)}, ${pct}% fewer)` +
    (s.activeParameters !== s.totalParameters ? `; in use ${num(s.activeParameters)} (masked blocks excluded)` : ''));
  return out.join('\n');
}
