/**
 * An ONNX graph as plain data, and the builder networks write themselves into (each layer knows its own
 * ONNX nodes: src/nn/layers.ts, src/models/blocks). io/onnx_file.ts encodes it as a model file.
 *
 * Values are named by the module that makes them ("enc1.b0.conv"), so a graph reads like the network.
 */
import { toFloat16 } from './float16.js';

export type OnnxAttribute = number | string | number[];

export interface OnnxNodeSpec {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integers and floats are told apart by `floatAttributes` (ONNX types them; JS numbers do not). */
  attributes: Record<string, OnnxAttribute>;
  floatAttributes?: string[];
}

export interface OnnxTensorSpec {
  name: string;
  dims: number[];
  /** float32 values, float16 bits for a half-precision initializer, or int64 (shapes, axes). */
  data: Float32Array | Uint16Array | BigInt64Array;
  dataType: 'float32' | 'float16' | 'int64';
}

/** A graph input or output: float32, each dim a size or a symbolic name. */
export interface OnnxValueSpec { name: string; dims: (number | string)[] }

export interface OnnxGraphSpec {
  name: string;
  nodes: OnnxNodeSpec[];
  initializers: OnnxTensorSpec[];
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxNodeSpec[] = [];
  readonly initializers: OnnxTensorSpec[] = [];
  private readonly used = new Set<string>();

  /** halfWeights: weights stored as float16 and cast to float32 in the graph (half the file; float32 compute). */
  constructor(readonly o: { halfWeights?: boolean } = {}) {}

  /** `base`, or `base_2`, `base_3`... when taken: every value's name is unique. */
  unique(base: string): string {
    let name = base, i = 2;
    while (this.used.has(name)) name = `${base}_${i++}`;
    this.used.add(name);
    return name;
  }

  /** A weight (float32 values); with halfWeights, a float16 initializer and a Cast. Returns the value's name. */
  weight(name: string, dims: number[], data: Float32Array): string {
    if (!this.o.halfWeights) return this.constant(name, dims, data);
    const half = this.unique(`${name}_fp16`);
    this.initializers.push({ name: half, dims, data: toFloat16(data), dataType: 'float16' });
    return this.node('Cast', [half], { to: 1 }, name); // 1: FLOAT
  }

  /** A float32 initializer kept as float32 (scales, norms' unit weights). */
  constant(name: string, dims: number[], data: Float32Array): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims, data, dataType: 'float32' });
    return unique;
  }

  /** An int64 initializer (a shape, axes). */
  integers(name: string, values: readonly number[]): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)), dataType: 'int64' });
    return unique;
  }

  /** Adds a node with one output, named `name`; returns the output. */
  node(op: string, inputs: string[], attributes: Record<string, OnnxAttribute>, name: string, floatAttributes?: string[]): string {
    const out = this.unique(name);
    this.nodes.push({ name: out, op, inputs, outputs: [out], attributes, ...(floatAttributes ? { floatAttributes } : {}) });
    return out;
  }

  graph(name: string, inputs: OnnxValueSpec[], outputs: OnnxValueSpec[]): OnnxGraphSpec {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs, outputs };
  }

  /** The operator types used, sorted (the app tells what a browser backend must run). */
  ops(): string[] {
    return [...new Set(this.nodes.map((n) => n.op))].sort();
  }
}
