// doctor's checks of QDRANT_BACKUP_DIR: it exists (or can be made) and takes a file, written, read back and removed.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EXIT } from "../../errors.js";
import { fail, messageOf, ok, warn, type Check } from "./check.js";

const CHECK = "backup dir";

export async function checkBackupDir(dir: string, id: string): Promise<Check> {
  const found = await stat(dir).catch(() => undefined);
  if (found === undefined) {
    const parent = await nearestExisting(dirname(dir));
    try {
      await access(parent, constants.W_OK);
      return warn(CHECK, `${dir} does not exist yet; it is created on the first write`, "none, or create it now");
    } catch (err) {
      return fail(
        CHECK,
        `${dir} does not exist and ${parent} is not writable: ${messageOf(err)}`,
        cureFor(dir),
        EXIT.usage,
      );
    }
  }
  const probe = join(dir, `.doctor-probe-${id}`);
  const body = randomBytes(64);
  try {
    await writeFile(probe, body, { flag: "wx" });
    const back = await readFile(probe);
    if (!back.equals(body)) return fail(CHECK, `${probe} read back other bytes`, "check the file system", EXIT.usage);
    return ok(CHECK, `${dir} exists and is writable (probe file written, read back, removed)`);
  } catch (err) {
    return fail(CHECK, `${dir} is not writable: ${messageOf(err)}`, cureFor(dir), EXIT.usage);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

function cureFor(dir: string): string {
  return `make ${dir} writable by this user, or fix QDRANT_BACKUP_DIR`;
}

async function nearestExisting(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    if ((await stat(d).catch(() => undefined)) !== undefined || dirname(d) === d) return d;
  }
}
