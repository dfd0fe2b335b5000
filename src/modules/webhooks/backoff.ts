/** The longest wait between two attempts at a delivery. */
export const maxRetryDelayMs = 6 * 3_600_000;

/**
 * How long to wait after the `attempts`-th failed attempt: exponential back-off with full jitter, a
 * random wait up to `baseMs` doubled for each attempt before (at most six hours), so receivers that
 * fail together are not all retried at the same moment.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxRetryDelayMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(random() * ceiling);
}
