// A counting semaphore (at most `size` holders at once), for the channels of one
// connection. A released slot passes straight to the next waiter: the count is not
// lowered first, so an acquire that arrives in between cannot take the slot too.
export class Semaphore {
  private held = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {}

  /** How many hold a slot now (never more than size). */
  get active(): number {
    return this.held;
  }

  async acquire(): Promise<void> {
    if (this.held < this.size) {
      this.held++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held--;
  }

  /** Run fn holding a slot. */
  async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
