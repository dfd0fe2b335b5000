import { ServiceUnavailable } from '../errors.ts';

/**
 * Group commit for a hot statement: the calls made while the event loop works through the events
 * at hand (until the next `setImmediate`) run together, as one statement over all their inputs.
 * Under load, concurrent requests then share one round trip, one plan execution and one commit;
 * a lone call waits one turn of the loop and runs alone.
 *
 * `run` answers its inputs' outputs in order. When a batch of several fails, each of its calls is
 * run again on its own, so an error reaches only the caller whose input caused it; an outage
 * (ServiceUnavailable) is no caller's fault and fails them all at once. (DataLoader schedules the
 * same way but caches by key and fails a whole batch together.)
 */
export function batching<I, O>(run: (inputs: I[]) => Promise<O[]>, maxBatch = 64): (input: I) => Promise<O> {
  interface Call {
    input: I;
    resolve: (output: O) => void;
    reject: (error: unknown) => void;
  }
  let waiting: Call[] = [];

  async function execute(calls: Call[]): Promise<void> {
    let outputs: O[];
    try {
      outputs = await run(calls.map((c) => c.input));
    } catch (error) {
      if (calls.length === 1 || error instanceof ServiceUnavailable) for (const call of calls) call.reject(error);
      else for (const call of calls) void execute([call]);
      return;
    }
    calls.forEach((call, i) => call.resolve(outputs[i]));
  }

  function flush(): void {
    const calls = waiting;
    waiting = [];
    for (let start = 0; start < calls.length; start += maxBatch) void execute(calls.slice(start, start + maxBatch));
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      if (waiting.push({ input, resolve, reject }) === 1) setImmediate(flush);
    });
}
