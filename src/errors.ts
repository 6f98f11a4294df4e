// Helpers for failures of the host (not of the login): the error catalogue itself is
// src/core/errors.ts.

/** An fs error as the operator needs it: the errno name and what it means, no stack. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'ENOENT (no such file or directory)';
    case 'EACCES':
    case 'EPERM':
      return `${e.code} (permission denied)`;
    case 'EISDIR':
      return 'EISDIR (it is a directory, not a file)';
    case 'ENOTDIR':
      return 'ENOTDIR (a part of the path is not a directory)';
    default:
      return e.code ?? e.message ?? String(err);
  }
}
