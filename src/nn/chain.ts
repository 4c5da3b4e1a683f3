/**
 * How modules are called: `chain(x, conv, norm, leakyRelu)` runs the steps in order, each inside a
 * memory scope (src/tensor/scope.ts) that also holds the step before it. So a step's own temporaries
 * are freed when it returns, and its output as soon as the next step has returned: the lifetimes of
 * disposing every intermediate by hand right after its consumer (PyTorch's reference counting), with no
 * forward pass freeing anything itself. Autograd keeps what backward needs inside libtorch whatever
 * happens to the JS handles.
 */
import { type Tensor, tidy } from '../tensor/index.js';
import { type AnyModule, Module } from './module.js';
import type { OnnxGraphBuilder } from '../util/onnx_graph.js';

/** A module taking and returning one tensor, or a function doing so (an activation, an in-place add). */
export type Step = Module<[Tensor], Tensor> | ((x: Tensor) => Tensor);

/**
 * `x` through `steps`. A step that returns its input (an in-place op, a PRM without active blocks)
 * keeps it alive; `x` itself belongs to the caller and is never freed here.
 */
export function chain(x: Tensor, ...steps: Step[]): Tensor {
  // Nested scopes, the last step's outermost: step k's scope contains the call that made its input,
  // so that input is one of the scope's tensors and goes when step k returns.
  let run = (): Tensor => x;
  for (const step of steps) {
    const before = run;
    run = () => tidy(() => (step instanceof Module ? step.forward(before()) : step(before())));
  }
  return run();
}

/** An ONNX step: a module (its exportOnnx) or a function writing nodes for `x` under `name`. */
export type OnnxStep = AnyModule | ((g: OnnxGraphBuilder, x: string, name: string) => string);

/** `name.child` (just `child` at the top of a network). */
export const childName = (name: string, child: string): string => (name ? `${name}.${child}` : child);

/** The ONNX counterpart of chain: `steps` in order (their keys name their values under `name`); returns the last output. */
export function onnxChain(g: OnnxGraphBuilder, x: string, name: string, steps: Record<string, OnnxStep>): string {
  return Object.entries(steps).reduce((v, [key, step]) => (step instanceof Module ? step.exportOnnx(g, v, childName(name, key)) : step(g, v, childName(name, key))), x);
}
