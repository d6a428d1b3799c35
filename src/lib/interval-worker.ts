/**
 * A background loop: `run` every `intervalMs`, one run at a time (a tick while a run is in flight
 * queues behind it), timer unref'd so it never holds the process open. `stop()` clears the timer
 * and waits for the run in flight and any ticks already queued behind it. A failed run goes to `onError`; the loop carries on.
 */
export interface IntervalWorkerOptions {
  intervalMs: number;
  run: () => Promise<unknown>;
  onError: (err: unknown) => void;
}

export interface IntervalWorker {
  stop(): Promise<void>;
}

export function startIntervalWorker({ intervalMs, run, onError }: IntervalWorkerOptions): IntervalWorker {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => run()).catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
