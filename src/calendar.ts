/**
 * Days as the service counts them: Asia/Shanghai calendar days (UTC+8 all year, no daylight saving).
 * Reports, audit volumes, the demo and the engine's explanations all use these.
 */
export const DAY_MS = 86_400_000;

/** The start of the second an instant (epoch milliseconds) falls in: the rules' windows are counted to the second. */
export const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** YYYY-MM-DD in Asia/Shanghai; null for an unusable time. */
export function shanghaiDate(value: Date | string): string | null {
  const instant = value instanceof Date ? value : new Date(value);
  if (value === '' || Number.isNaN(instant.getTime())) return null;
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The Asia/Shanghai day of a valid instant. */
export function shanghaiDay(at: Date): string {
  return shanghaiDate(at)!;
}

/** The instant an Asia/Shanghai day (YYYY-MM-DD) begins. */
export function shanghaiMidnight(day: string): Date {
  return new Date(`${day}T00:00:00+08:00`);
}

/** The day `days` after (or, negative, before) a YYYY-MM-DD day. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
