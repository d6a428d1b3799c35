/**
 * A small in-process concurrency bound: at most `max` calls of the wrapped kind run at once;
 * the rest wait in FIFO order. Keeps a burst of token hand-outs from opening hundreds of
 * sockets to Vault at the same moment.
 */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;

export function createLimiter(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  return async (fn) => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}
