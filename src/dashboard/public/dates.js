// Reports count Asia/Shanghai calendar days (YYYY-MM-DD), `to` inclusive.

export function shanghaiToday() {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The Asia/Shanghai day (YYYY-MM-DD) of an ISO 8601 instant. */
export function shanghaiDayOf(instant) {
  return new Date(Date.parse(instant) + 8 * 3_600_000).toISOString().slice(0, 10);
}

export function addDays(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Every day (or month) key of the period, so days without activity show as zero, not as a gap. */
export function periodKeys(from, to, granularity) {
  const keys = [];
  if (granularity === 'day') {
    for (let day = from; day <= to; day = addDays(day, 1)) keys.push(day);
  } else {
    for (let month = from.slice(0, 7); month <= to.slice(0, 7);) {
      keys.push(month);
      const [y, m] = month.split('-').map(Number);
      month = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    }
  }
  return keys;
}

/**
 * The period a preset names, ending today: 30 or 90 days (drawn day by day), or the last twelve
 * full calendar months (drawn month by month, so no month is cut short at either end).
 */
export function presetPeriod(preset, today) {
  if (preset === '90d') return { from: addDays(today, -89), to: today };
  if (preset === '12m') {
    const [y, m] = today.split('-').map(Number);
    const from = new Date(Date.UTC(y, m - 13, 1)).toISOString().slice(0, 10);
    const to = addDays(`${today.slice(0, 7)}-01`, -1);
    return { from, to };
  }
  return { from: addDays(today, -29), to: today };
}
