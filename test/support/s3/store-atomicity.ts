// Makes s3rver's on-disk store as atomic per object as S3 is. Its putObject truncates the object file in place and
// rewrites metadata.json with writeFile, so a GET or HEAD racing a PUT of the same key could read a half-written
// metadata file (a JSON error: 500 InternalError) or a stream over a file being truncated: states no real S3 shows,
// which made a test that polls a key while the lease rewrites it fail at random.
// Here an object's bytes go to a temporary file renamed into place (an open reader keeps the old bytes), and per key
// the reads (getObject, getMetadata) wait while a write (put, multipart completion, delete) is under way.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { rename, unlink } from "node:fs/promises";
import path from "node:path";

type Method = (...args: unknown[]) => Promise<unknown>;

/** Per key: readers in progress, whether a writer holds it, and who waits. */
interface KeyLock {
  readers: number;
  writing: boolean;
  /** Writers waiting: new readers wait behind them, so a key polled without pause still gets written. */
  writers: number;
  waiting: (() => void)[];
}

export function installStoreAtomicity(store: object): void {
  const locks = new Map<string, KeyLock>();
  const lockOf = (bucket: unknown, key: unknown): KeyLock => {
    const id = `${String(bucket)}\u0000${String(key)}`;
    let lock = locks.get(id);
    if (!lock) locks.set(id, (lock = { readers: 0, writing: false, writers: 0, waiting: [] }));
    return lock;
  };
  const wake = (lock: KeyLock): void => {
    for (const resume of lock.waiting.splice(0)) resume();
  };
  // The locks the current call already holds: a read nested in a read (getObject calls getMetadata) takes none.
  const held = new AsyncLocalStorage<ReadonlySet<KeyLock>>();
  const guarded = async <T>(lock: KeyLock, write: boolean, work: () => Promise<T>): Promise<T> => {
    const mine = held.getStore() ?? new Set<KeyLock>();
    if (mine.has(lock)) return work();
    if (write) {
      lock.writers += 1;
      while (lock.writing || lock.readers > 0) await new Promise<void>((resume) => lock.waiting.push(resume));
      lock.writers -= 1;
      lock.writing = true;
    } else {
      while (lock.writing || lock.writers > 0) await new Promise<void>((resume) => lock.waiting.push(resume));
      lock.readers += 1;
    }
    try {
      return await held.run(new Set([...mine, lock]), work);
    } finally {
      if (write) lock.writing = false;
      else lock.readers -= 1;
      wake(lock);
    }
  };
  const wrap = (name: string, write: boolean, keyOf: (args: unknown[]) => [unknown, unknown]): void => {
    const original = Reflect.get(store, name) as Method | undefined;
    if (typeof original !== "function")
      throw new Error(`s3rver's store has no ${name}: the atomicity patch is out of date`);
    Reflect.set(store, name, (...args: unknown[]) => {
      const [bucket, key] = keyOf(args);
      return guarded(lockOf(bucket, key), write, () => original.apply(store, args));
    });
  };
  const byArgs = (args: unknown[]): [unknown, unknown] => [args[0], args[1]];
  wrap("getObject", false, byArgs);
  wrap("getMetadata", false, byArgs);
  wrap("deleteObject", true, byArgs);
  // A multipart completion ends in this.putObject, so it is a write too. (copyObject reads its destination's metadata
  // while writing it, so it is left as it is: nothing polls a copy's destination.)
  wrap("putObject", true, (args) => [Reflect.get(Object(args[0]), "bucket"), Reflect.get(Object(args[0]), "key")]);

  // The bytes: written beside the object, then renamed over it.
  const putContent = Reflect.get(store, "putContent") as Method | undefined;
  if (typeof putContent !== "function")
    throw new Error("s3rver's store has no putContent: the atomicity patch is out of date");
  Reflect.set(store, "putContent", async (objectPath: unknown, content: unknown) => {
    // Beside the object, under a short name: the object's own name may already be as long as a file name can be.
    const temp = path.join(path.dirname(String(objectPath)), `.s3rver-put-${randomBytes(6).toString("hex")}`);
    try {
      const written = await putContent.call(store, temp, content);
      await rename(temp, String(objectPath));
      return written;
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  });
}
