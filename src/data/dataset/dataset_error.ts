/** A dataset folder or its dataset.json is missing or malformed. The message starts with the file path. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
  }
}
