/**
 * What the trainer needs from a network and a loss, as small structural interfaces: any
 * `Module<[Tensor], NetworkOutput>` with `encode` fits TrainableNetwork; registry.ts turns a
 * configuration into one of each.
 */
import type { Device, Tensor } from '../tensor/index.js';
import type { NetworkOutput } from '../nn/index.js';
import type { Scale3 } from '../util/triple.js';


export interface TrainableNetwork {
  forward(x: Tensor): NetworkOutput;
  /** The encoder alone: the same list as forward's encoderFeatures (TR's gradient-free second pass). */
  encode(x: Tensor): Tensor[];
  namedParameters(): [string, Tensor][];
  parameters(): Tensor[];
  stateDict(): Map<string, Tensor>;
  loadStateDict(state: Map<string, Tensor>, o?: { strict?: boolean }): { missing: string[]; unexpected: string[] };
  numParameters(): number;
  train(on?: boolean): unknown;
  eval(): unknown;
  to(device: Device): unknown;
  dispose(): void;
}

/**
 * How to make, describe and rebuild one kind of network. The description is plain JSON
 * (architecture.json, and every checkpoint's state: pruning changes the architecture mid-run).
 */
export interface NetworkBuilder<N extends TrainableNetwork = TrainableNetwork> {
  /** A new network, weights initialised from `seed`. */
  create(seed: number): N;
  /** The network's current architecture as JSON. */
  describe(net: N): unknown;
  /** A network with the architecture `description` (read from `source`, named in errors); weights are loaded afterwards. */
  restore(description: unknown, source: string): N;
  /** Per-axis scale of each output's logits relative to the patch (deep-supervision targets): [[1,1,1], [0.5,0.5,0.5], ...]. */
  outputScales(net: N): Scale3[];
  /** Patch sizes must be multiples of this (per axis when three numbers). */
  patchMultiple: number | readonly [number, number, number];
}
