// A dry run's state files (StateStore's `dryRun`): what the run would have written, kept in memory over the files on
// disk, and the names a reset or a move aside would have given them.
import { exists } from "../lib/fs.js";

/** What StateStore's reset would do to `files`: the ones that exist, or the .bkp names they would get with `bkp`. */
export async function plannedReset(
  files: readonly string[],
  bkp: boolean,
  stamp: string,
): Promise<{ removed: string[]; backedUp: string[] }> {
  const planned = await Promise.all(
    files.map(async (file) => (bkp ? wouldBackUp(file, stamp, ".bkp") : (await exists(file)) ? file : undefined)),
  );
  const would = planned.filter((p): p is string => p !== undefined);
  return bkp ? { removed: [], backedUp: would } : { removed: would, backedUp: [] };
}

export class DryRunOverlay<K extends string> {
  private readonly files = new Map<K, Buffer>();

  /** The file as the run would have left it, or undefined when the run did not touch it. */
  get(kind: K): Buffer | undefined {
    return this.files.get(kind);
  }

  /** Appends `text` (whole rows) to `base`, the file's whole rows; a last row without its newline gets one first. */
  append(kind: K, base: Buffer | undefined, text: string): void {
    const before = base ?? Buffer.alloc(0);
    const glue = before.length > 0 && before[before.length - 1] !== 0x0a ? "\n" : "";
    this.files.set(kind, Buffer.concat([before, Buffer.from(glue + text, "utf8")]));
  }

  replace(kind: K, bytes: Uint8Array): void {
    this.files.set(kind, Buffer.from(bytes));
  }
}

/** Where lib/fs.ts's backUp would move `file` (`-1`, `-2`… when taken), or undefined when there is no file. */
export async function wouldBackUp(file: string, stamp: string, suffix: string): Promise<string | undefined> {
  if (!(await exists(file))) return undefined;
  for (let n = 0; ; n++) {
    const target = `${file}-${stamp}${n === 0 ? "" : `-${n}`}${suffix}`;
    if (!(await exists(target))) return target;
  }
}
