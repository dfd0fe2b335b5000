/** Small pieces both drivers share. */

/**
 * One decision for both drivers: int8 (counts, sums) and numeric (yuan, mSv) come back as JS numbers,
 * and so do the elements of an int8 array; `date` comes back as its 'YYYY-MM-DD' text. Counts stay
 * far below 2^53 and money is rounded to fen.
 */
export const typeOids = { int8: 20, numeric: 1700, date: 1082, int8Array: 1016 } as const;
export const asNumber = (value: string) => Number(value);
/** An int8 array without nulls, such as '{1,-2,3}'. */
export const asNumbers = (value: string) => (value === '{}' ? [] : value.slice(1, -1).split(',').map(Number));
export const asText = (value: string) => value;

export function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
}

/**
 * One read shared by every caller while it is in flight, then made afresh: concurrent requests for
 * the signing keys share one load, and a scrape's gauges of one query (collected at once) one query.
 */
export function sharedWhileInFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () =>
    (inFlight ??= read().finally(() => {
      inFlight = null;
    }));
}

/** `work`, or a rejection with `timeout()` once `ms` have passed (the work itself runs on). */
export async function within<T>(ms: number, work: Promise<T>, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(timeout()), ms)));
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
