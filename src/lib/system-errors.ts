// What a system error says and what cures it: its code and text, out of space or not, the cure to print.

/** `ENOSPC: no space left on device, write` → `no space left on device (ENOSPC)`. */
export function describeSystemError(err: unknown): string {
  const code = codeOf(err);
  const message = messageOf(err);
  if (code === undefined) return message;
  const text = message.replace(new RegExp(`^${code}: `), "").replace(/, \w+( '.*')?$/, "");
  return `${text} (${code})`;
}

/** Codes of a full volume or quota (EFBIG: a file-size limit): the cure is to free space there. */
export function isOutOfSpace(err: unknown): boolean {
  const code = codeOf(err);
  return code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG";
}

/**
 * The cure for a write that failed in `dir`, to end an error line with: free space there for a full volume or quota,
 * check the volume for an I/O error; nothing for other errors (a permission, a bad path: the message says it).
 */
export function cureFor(err: unknown, dir: string): string {
  if (isOutOfSpace(err))
    return `; free space on the volume that holds ${dir} (or raise its quota), then run the same command again`;
  if (codeOf(err) === "EIO") return `; check the volume that holds ${dir}, then run the same command again`;
  return "";
}

export function codeOf(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
