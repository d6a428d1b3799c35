/**
 * Promises remembered by key until a deadline. Concurrent callers of a key share one promise (one
 * read, one decrypt); a rejected promise is forgotten at once, so the next caller tries again
 * instead of being served the failure. Bounded: past `maxEntries` the oldest entry goes first.
 */
export interface PromiseCache<T> {
  /** The remembered promise, if its deadline (same clock as `set`) is still ahead of `now`. */
  get(key: string, now: number): Promise<T> | undefined;
  set(key: string, value: Promise<T>, expiresAt: number): void;
  clear(): void;
}

export function createPromiseCache<T>(maxEntries: number): PromiseCache<T> {
  const entries = new Map<string, { expiresAt: number; value: Promise<T> }>();
  return {
    get(key, now) {
      const e = entries.get(key);
      return e && e.expiresAt > now ? e.value : undefined;
    },
    set(key, value, expiresAt) {
      entries.delete(key);
      entries.set(key, { expiresAt, value });
      value.catch(() => entries.get(key)?.value === value && entries.delete(key));
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    clear: () => entries.clear(),
  };
}
