/** Masking, restoring and deleting blocks of a PrunableNetwork, and its architecture as plain data. */
import type { BlockRef, BlockState, ParameterOwner, PrunableModule, PrunableNetwork } from './prunable.js';
import { blockLabel } from './prunable.js';
import { type PruningState, parsePruningState } from './state.js';

/** Per PRM, the state of each block by index: what a checkpoint needs to rebuild the architecture. */
export type Architecture = Record<string, BlockState[]>;

export function modulesByName(network: PrunableNetwork): Map<string, PrunableModule> {
  return new Map(network.prunableModules().map((m) => [m.name, m]));
}

function moduleOf(mods: Map<string, PrunableModule>, name: string): PrunableModule {
  const m = mods.get(name);
  if (!m) throw new Error(`pruning: the network has no PRM '${name}' (it has ${[...mods.keys()].join(', ')})`);
  return m;
}

function blockOf(m: PrunableModule, j: number) {
  const b = m.blocks().find((v) => v.index === j);
  if (!b) throw new Error(`pruning: PRM '${m.name}' has no block ${j}`);
  return b;
}

export function maskBlocks(network: PrunableNetwork, refs: readonly BlockRef[]): void {
  const mods = modulesByName(network);
  for (const r of refs) {
    const m = moduleOf(mods, r.module);
    if (blockOf(m, r.block).state !== 'active') throw new Error(`pruning: cannot mask ${blockLabel(r)}: it is ${blockOf(m, r.block).state}`);
    m.mask(r.block);
  }
}

export function unmaskBlocks(network: PrunableNetwork, refs: readonly BlockRef[]): void {
  const mods = modulesByName(network);
  for (const r of refs) {
    const m = moduleOf(mods, r.module);
    if (blockOf(m, r.block).state !== 'masked') throw new Error(`pruning: cannot restore ${blockLabel(r)}: it is ${blockOf(m, r.block).state}`);
    m.unmask(r.block);
  }
}

/**
 * Deletes blocks from the network and their parameters (and state) from the optimiser. Checks that
 * the network's parameter count falls by exactly the blocks' parameters. Returns the full names removed.
 */
export function deleteBlocks(network: PrunableNetwork, refs: readonly BlockRef[], optimizer: ParameterOwner | null): string[] {
  const mods = modulesByName(network);
  const removed: string[] = [];
  for (const r of refs) {
    const m = moduleOf(mods, r.module);
    const block = blockOf(m, r.block);
    if (block.state === 'deleted') throw new Error(`pruning: ${blockLabel(r)} is already deleted`);
    const expected = block.numParameters();
    const before = network.numParameters();
    const names = m.deleteBlock(r.block).map((n) => `${m.name}.${n}`);
    const dropped = before - network.numParameters();
    if (dropped !== expected)
      throw new Error(`pruning: deleting ${blockLabel(r)} removed ${dropped} parameters, but the block had ${expected}`);
    optimizer?.removeParameters(names);
    removed.push(...names);
  }
  return removed;
}

export function architectureOf(network: PrunableNetwork): Architecture {
  return Object.fromEntries(network.prunableModules().map((m) => [m.name, m.blocks().map((b) => b.state)]));
}

/** Parameters the forward uses: all of them but those of masked blocks. */
export function activeParameters(network: PrunableNetwork): number {
  let masked = 0;
  for (const m of network.prunableModules()) for (const b of m.blocks()) if (b.state === 'masked') masked += b.numParameters();
  return network.numParameters() - masked;
}

/**
 * Brings a freshly built network to a saved architecture (deleting and masking blocks), before its
 * weights are loaded and its optimiser is built: how a pruned checkpoint is resumed or used for inference.
 */
export function applyArchitecture(network: PrunableNetwork, arch: Architecture): void {
  const mods = modulesByName(network);
  const names = Object.keys(arch);
  if (names.length !== mods.size || names.some((n) => !mods.has(n)))
    throw new Error(`pruning: the saved architecture has PRMs ${names.join(', ')} but the network has ${[...mods.keys()].join(', ')}`);
  for (const [name, states] of Object.entries(arch)) {
    const m = moduleOf(mods, name);
    const blocks = m.blocks();
    if (blocks.length !== states.length)
      throw new Error(`pruning: the saved architecture has ${states.length} blocks in ${name}, the network ${blocks.length}`);
    blocks.forEach((b, i) => {
      const want = states[i]!;
      if (b.state === want) return;
      if (b.state === 'deleted') throw new Error(`pruning: ${name}.b${b.index} is deleted in the network but ${want} in the saved architecture`);
      if (b.state === 'masked') m.unmask(b.index);
      if (want === 'masked') m.mask(b.index);
      else if (want === 'deleted') m.deleteBlock(b.index);
    });
  }
}

const LETTER_STATE = { A: 'active', M: 'masked', D: 'deleted' } as const;

/** The block states recorded in a pruning state, as `applyArchitecture` takes them. */
export function architectureOfState(state: PruningState): Architecture {
  return Object.fromEntries(Object.entries(state.architecture).map(([m, letters]) =>
    [m, [...letters].map((c) => LETTER_STATE[c as keyof typeof LETTER_STATE])]));
}

/** Brings a freshly built network to the architecture of a saved pruning state (before loading weights). */
export function restorePrunedArchitecture(model: PrunableNetwork, savedState: unknown, source?: string): void {
  applyArchitecture(model, architectureOfState(parsePruningState(savedState, source)));
}
