/**
 * Serialises enqueues that target the same destination inside this process, so a double click
 * creates one job and the second request attaches to it. Different destinations never wait on
 * each other (a long hash check of one file does not hold up another download).
 */
export class DestinationLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async withLocks<T>(destinations: readonly string[], work: () => Promise<T>): Promise<T> {
    // A fixed order means two bundles sharing files cannot wait on each other in a cycle.
    const keys = [...new Set(destinations)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of keys) releases.push(await this.acquire(key));
      return await work();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}
