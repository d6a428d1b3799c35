/**
 * Coalesces concurrent calls into one batched operation per event-loop turn. Under load the hot
 * path makes one Postgres round trip for all the calls that arrived meanwhile, instead of one each.
 *
 * At most `maxInFlight` flushes run at once; calls that arrive while all are busy wait for the
 * next one, which is what makes batches grow with load. Each call settles with its own result, or
 * with the flush's error.
 */
export interface BatcherOptions {
  maxBatch?: number;
  maxInFlight?: number;
}

interface Pending<I, O> {
  input: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export type BatchFn<I, O> = (inputs: I[]) => Promise<O[]>;

export function createBatcher<I, O>(flush: BatchFn<I, O>, opts: BatcherOptions = {}): (input: I) => Promise<O> {
  const maxBatch = opts.maxBatch ?? 256;
  const maxInFlight = opts.maxInFlight ?? 4;
  let queue: Pending<I, O>[] = [];
  let inFlight = 0;
  let scheduled = false;

  const run = (batch: Pending<I, O>[]) => {
    inFlight++;
    flush(batch.map((p) => p.input)).then(
      (outs) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outs[i] as O);
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    ).finally(() => {
      inFlight--;
      schedule();
    });
  };

  const drain = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      run(batch);
    }
  };

  const schedule = () => {
    if (scheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    // setImmediate, not a microtask: lets every request already read off the sockets join this batch.
    setImmediate(drain);
  };

  return (input) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      schedule();
    });
}
