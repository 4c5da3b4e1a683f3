/**
 * BENCH_SMOKE=1, shared by every benchmark: the whole benchmark at a tiny size (a few seconds), to check
 * that it still runs and still prints its result (npm test runs each one so: test/bench_smoke.test.ts).
 * Its figures say nothing. Settings given in the environment win over both defaults.
 */

export const smoke = process.env.BENCH_SMOKE === '1';

/** The number in environment variable `name`, else `full`, or `tiny` under BENCH_SMOKE=1. */
export function numberSetting(name: string, full: number, tiny: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return smoke ? tiny : full;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name}=${raw}: not a number`);
  return value;
}

/** Environment for a child process: the tiny settings under BENCH_SMOKE=1, except those the environment sets. */
export function smokeChildEnv(tiny: Record<string, string>): Record<string, string> {
  if (!smoke) return {};
  return Object.fromEntries(Object.entries(tiny).filter(([name]) => process.env[name] === undefined));
}
