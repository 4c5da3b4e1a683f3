/** Saving and loading a module's weights as safetensors. */
import { type AnyModule } from './module.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';

export function saveWeights(path: string, model: AnyModule, metadata: Record<string, string> = {}): void {
  saveSafetensors(path, model.stateDict(), metadata);
}

/**
 * Loads weights into `model`. strict (default): keys must match exactly. Errors name the file
 * and the key. Returns the file's metadata and what did not match (non-strict).
 */
export function loadWeights(path: string, model: AnyModule, { strict = true } = {}) {
  const file = loadSafetensors(path);
  try {
    const result = model.loadStateDict(file.tensors, { strict });
    return { ...result, metadata: file.metadata };
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  } finally {
    for (const t of file.tensors.values()) t.dispose();
  }
}
