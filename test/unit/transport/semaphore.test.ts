import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/transport/semaphore.js';

describe('Semaphore', () => {
  it('never lets more than its size hold a slot, even when an acquire arrives as a slot is released', async () => {
    const sem = new Semaphore(2);
    let holding = 0;
    let most = 0;
    const job = async (ms: number): Promise<void> => {
      await sem.acquire();
      holding++;
      most = Math.max(most, holding, sem.active);
      await new Promise((r) => setTimeout(r, ms));
      holding--;
      sem.release();
      // The race the old semaphore lost: a fresh acquire right after a release with waiters.
      void sem.with(async () => {
        holding++;
        most = Math.max(most, holding, sem.active);
        await Promise.resolve();
        holding--;
      });
    };
    await Promise.all([job(5), job(3), job(1), job(4), job(2), job(1)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(most).toBeLessThanOrEqual(2);
    expect(sem.active).toBe(0);
  });
});
