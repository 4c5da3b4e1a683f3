/**
 * Cases in shared memory, so that every patch worker reads the same bytes instead of a private
 * copy (structured clone would copy the whole dataset into each worker).
 */
import type { CaseArrays } from './patch_sampler.js';

type Typed = Float32Array | Int8Array | Int32Array | Uint32Array;

function shared<A extends Typed>(src: ArrayLike<number>, Ctor: { new (buf: SharedArrayBuffer): A; BYTES_PER_ELEMENT: number }): A {
  if (src instanceof Ctor && (src as A).buffer instanceof SharedArrayBuffer) return src as A;
  const out = new Ctor(new SharedArrayBuffer(src.length * Ctor.BYTES_PER_ELEMENT));
  out.set(src as never);
  return out;
}

/** The case with its arrays (image, label, class locations) in SharedArrayBuffers; already shared arrays are reused. */
export function shareCase(c: CaseArrays): CaseArrays {
  const locations = new Map<number, ArrayLike<number>>();
  for (const [cls, locs] of c.classLocations) locations.set(cls, locs instanceof Uint32Array ? shared(locs, Uint32Array) : shared(locs, Int32Array));
  return { key: c.key, shape: [...c.shape], image: shared(c.image, Float32Array), label: shared(c.label, Int8Array), classLocations: locations };
}
