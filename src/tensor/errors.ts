/** What went wrong in the engine, machine-readable. */
export type TorchErrorCode = 'TORCH_ERROR' | 'OUT_OF_MEMORY' | 'DISPOSED' | 'INVALID_ARGUMENT' | 'UNSUPPORTED'
  // a collective failed: a peer died, hung past the group's timeout, or could not be reached
  | 'DIST_ERROR';

/**
 * Every failure inside libtorch or the binding arrives as a TorchError (the addon constructs
 * this class directly), so callers can catch it and go on: the process is never aborted.
 */
export class TorchError extends Error {
  readonly code: TorchErrorCode;
  constructor(message: string, code: TorchErrorCode = 'TORCH_ERROR') {
    super(message);
    this.name = 'TorchError';
    this.code = code;
  }
}
