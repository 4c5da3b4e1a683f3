/** Why a NIfTI file could not be read or written. The message always starts with the file path. */
export class NiftiError extends Error {
  override readonly name = 'NiftiError';
  constructor(readonly path: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
  }
}
