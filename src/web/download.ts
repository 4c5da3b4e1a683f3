/** Hands bytes to the browser as a file download (the Save button). */
export function downloadBytes(bytes: Uint8Array, fileName: string, type = 'application/gzip'): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000); // the download has started long before
}
