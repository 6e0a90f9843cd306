/**
 * The drill's scratch collections: `{collection}__drill_{YYYYMMDDTHHMMSSZ}` (the drill's start, UTC). The name
 * pattern is the drill's own: a collection named so is taken for a scratch left by a drill that did not finish (a
 * killed pod), and the next drill removes it. Any other name, however close (`c__drill_notes`), is never touched.
 */
export const SCRATCH_MARK = "__drill_";
const STAMP = /^\d{8}T\d{6}Z$/;
/** Qdrant's longest collection name, in bytes. */
export const NAME_MAX_BYTES = 255;

/** The scratch name of a drill of `collection` started at `now`. */
export function scratchName(collection: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/[-:]/g, "");
  return `${collection}${SCRATCH_MARK}${stamp}`;
}

/** The collection a scratch name was made for, or undefined when `name` is not a scratch name. */
export function scratchSource(name: string): string | undefined {
  const at = name.lastIndexOf(SCRATCH_MARK);
  if (at <= 0) return undefined;
  return STAMP.test(name.slice(at + SCRATCH_MARK.length)) ? name.slice(0, at) : undefined;
}

export const isScratch = (name: string): boolean => scratchSource(name) !== undefined;
