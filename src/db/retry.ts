/**
 * Runs a unit of work again when PostgreSQL aborted it for a deadlock (40P01) or a serialization
 * failure (40001). Both roll the whole transaction back, so a retry is safe; they can happen when a
 * check and a decision touch the same aggregate rows in different orders.
 */
const transient = new Set(['40P01', '40001']);

export async function retryTransient<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= attempts || typeof code !== 'string' || !transient.has(code)) throw error;
    }
  }
}
