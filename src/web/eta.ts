/** Time left from the steps done so far, for the progress bar: the mean time per step so far times the steps left. */

/** Seconds left when `done` of `total` steps took `elapsedS` seconds; undefined before the first step. */
export function secondsLeft(done: number, total: number, elapsedS: number): number | undefined {
  if (done <= 0 || total <= 0) return undefined;
  return (elapsedS / done) * Math.max(0, total - done);
}
