/** The addon's exports and the TypeScript interface that declares them (src/native/binding.ts) name the same functions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NATIVE_BINDING_NAMES } from '../src/native/binding.js';
import { native } from '../src/tensor/native.js';

test('the addon exports exactly the functions its interface declares', () => {
  const exported = Object.keys(native).sort();
  const declared: string[] = [...NATIVE_BINDING_NAMES].sort();
  const missing = declared.filter((n) => !exported.includes(n));
  const undeclared = exported.filter((n) => !declared.includes(n));
  assert.deepEqual(missing, [], `declared in src/native/binding.ts but not exported by the addon: ${missing.join(', ')}`);
  assert.deepEqual(undeclared, [], `exported by the addon but not declared in src/native/binding.ts: ${undeclared.join(', ')}`);
  for (const n of exported) assert.equal(typeof (native as unknown as Record<string, unknown>)[n], 'function', `${n} is a function`);
});
