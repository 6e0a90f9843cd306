/** Work queued per key: one task at a time for each key, in the order queued; a failed task does not block the next. */
export class SerialQueues<K> {
  private readonly tails = new Map<K, Promise<void>>();

  /** Runs `task` once every task queued for `key` before it has settled. */
  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    this.tails.set(
      key,
      result.then(
        () => undefined,
        () => undefined,
      ),
    );
    return result;
  }

  /** Settles once every task queued so far has. */
  async idle(): Promise<void> {
    await Promise.all(this.tails.values());
  }
}
