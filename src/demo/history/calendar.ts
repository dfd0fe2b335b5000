// How busy a day of the demo's history is: more patients move between hospitals on weekdays, in the
// winter respiratory season and as the exchange catches on; far fewer over the Spring Festival and
// the Golden Weeks. Days are China calendar days (UTC+8), like the reports'.

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** Lunar New Year's Day (春节), which moves between late January and mid-February. */
const springFestival: Record<number, string> = {
  2024: '02-10',
  2025: '01-29',
  2026: '02-17',
  2027: '02-06',
  2028: '01-26',
  2029: '02-13',
  2030: '02-03',
  2031: '01-23',
  2032: '02-11',
  2033: '01-31',
  2034: '02-19',
  2035: '02-08',
};
// Beyond the table the demo still works: an average date is close enough for a dip in a chart.
const fallbackSpringFestival = '02-05';

/** The China calendar date (YYYY-MM-DD) of an instant. */
export function chinaDate(at: number): string {
  return new Date(at + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Midnight in China of the date `date`, as an instant. */
export function chinaMidnight(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS;
}

function daysFrom(date: string, other: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${other}T00:00:00Z`)) / DAY_MS);
}

/** Days after the nearest Lunar New Year's Day (negative before it). */
export function daysFromSpringFestival(date: string): number {
  const year = Number(date.slice(0, 4));
  const offsets = [year - 1, year, year + 1].map((y) => daysFrom(date, `${y}-${springFestival[y] ?? fallbackSpringFestival}`));
  return offsets.reduce((nearest, d) => (Math.abs(d) < Math.abs(nearest) ? d : nearest));
}

/** The holiday factor: the Spring Festival week empties outpatient clinics; the Golden Weeks thin them. */
function holidayFactor(date: string): number {
  const festival = daysFromSpringFestival(date);
  if (festival >= -1 && festival <= 6) return 0.22; // New Year's Eve to the end of the official holiday
  if (festival >= -8 && festival <= -2) return 0.75; // the travel rush home (春运)
  if (festival >= 7 && festival <= 14) return 0.85; // clinics filling again
  const monthDay = date.slice(5);
  if (monthDay >= '10-01' && monthDay <= '10-07') return 0.45; // National Day Golden Week
  if (monthDay >= '05-01' && monthDay <= '05-05') return 0.6; // Labour Day holiday
  if (monthDay === '01-01') return 0.5;
  return 1;
}

/** The winter respiratory season: a peak around mid-January, gone by April; a slight summer lull. */
function seasonFactor(date: string): number {
  const dayOfYear = daysFrom(date, `${date.slice(0, 4)}-01-01`);
  // Distance in days to 15 January, across the turn of the year.
  const fromPeak = Math.min(Math.abs(dayOfYear - 14), 365 - Math.abs(dayOfYear - 14));
  const winter = 0.8 * Math.exp(-((fromPeak / 40) ** 2));
  const summer = dayOfYear >= 181 && dayOfYear <= 243 ? -0.08 : 0;
  return 1 + winter + summer;
}

/** Monday to Sunday: clinics are fullest on Monday, half empty at the weekend. */
const weekdayFactors = [0.4, 1.12, 1.02, 1, 1, 0.97, 0.55]; // Sunday first, as Date#getUTCDay

/**
 * The expected number of patient journeys on `date`: `base` on an ordinary weekday, growing by a
 * quarter over the year (`progress` 0 → 1) as more doctors use the exchange.
 */
export function expectedJourneys(date: string, progress: number, base: number): number {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return base * (0.85 + 0.2 * progress) * weekdayFactors[weekday] * seasonFactor(date) * holidayFactor(date);
}

/** Whether `date` lies in the respiratory season, when chest imaging and blood counts are asked for more. */
export function respiratorySeason(date: string): boolean {
  return seasonFactor(date) > 1.25;
}
