/**
 * Deterministic memory ownership. Every tensor created while a `tidy` scope is open belongs to
 * that scope and is freed when it closes, except what the function returns (handed to the
 * enclosing scope) and what `keep` marks. Tensors made outside any scope live until disposed.
 * Relying on V8's garbage collector instead was measured 4-9x slower with unbounded memory.
 */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Called when the tensor leaves scope control: from now on V8's collector may be what frees it. */
  unscoped?(): void;
}

const scopes: Set<Disposable>[] = [];

/**
 * Told when the first scope opens and the last one closes. The engine uses it to stop
 * reporting memory to V8 for tensors that scopes free anyway (that reporting forced a full
 * garbage collection every training step).
 */
let onScopesActive: (active: boolean) => void = () => {};
export function setScopeActivityListener(fn: (active: boolean) => void): void {
  onScopesActive = fn;
}

function push(scope: Set<Disposable>): void {
  scopes.push(scope);
  if (scopes.length === 1) onScopesActive(true);
}
function pop(): void {
  scopes.pop();
  if (scopes.length === 0) onScopesActive(false);
}

/** Called by every tensor constructor. */
export function track(t: Disposable): void {
  const top = scopes[scopes.length - 1];
  if (top) top.add(t);
}

/** Takes `t` out of every open scope: it lives until `dispose()` is called on it. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  t.unscoped?.();
  return t;
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (typeof (value as Disposable).dispose === 'function' && 'isDisposed' in (value as object)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, depth + 1);
}

/**
 * Runs `fn` in a new scope. Tensors in the result (a tensor, or arrays / plain objects / Maps
 * of them) survive and move to the enclosing scope; all other tensors created inside are freed.
 * `fn` must be synchronous: a scope cannot follow an `await`.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new Error('tidy(fn): fn returned a Promise; scopes only cover synchronous code');
  }
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (!survivors.has(t)) t.dispose();
    else if (parent) parent.add(t);
    else t.unscoped?.();
  }
  return result;
}

/** Number of open scopes (for tests and assertions). */
export function scopeDepth(): number {
  return scopes.length;
}
