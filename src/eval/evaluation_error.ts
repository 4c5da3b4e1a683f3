/** Why a case, or the whole evaluation, cannot be done. The message names the file(s) concerned. */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
}
