import { sql, type RawBuilder } from 'kysely';
import { DAY_MS } from '../../calendar.ts';

/**
 * How a report reads a period of Asia/Shanghai days from aggregates kept per day, per month and
 * (for some) per year. Whole units come from the coarser table. A partial unit is read from the
 * finer tables, or, when it leaves out fewer days than it covers, as the whole unit less the days it
 * leaves out: a unit's row is the sum of its days, so both give the same figures, and a month less
 * one day reads far fewer rows than 29 days.
 */
export type Level = 'year' | 'month' | 'day';

/** A signed piece of a period: the units of one level from `first` to `last` (units by their first day). */
export interface Piece {
  level: Level;
  first: string;
  last: string;
  sign: 1 | -1;
}

const dayTime = (d: string) => Date.parse(`${d}T00:00:00Z`);
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
const dayBefore = (d: string) => dayOf(dayTime(d) - DAY_MS);
const dayAfter = (d: string) => dayOf(dayTime(d) + DAY_MS);
const daysFrom = (a: string, b: string) => (dayTime(b) - dayTime(a)) / DAY_MS + 1;
const unitStart = (level: Level, d: string) => (level === 'year' ? `${d.slice(0, 4)}-01-01` : `${d.slice(0, 7)}-01`);
const nextUnit = (level: Level, start: string) => {
  const t = new Date(dayTime(start));
  if (level === 'year') t.setUTCFullYear(t.getUTCFullYear() + 1);
  else t.setUTCMonth(t.getUTCMonth() + 1);
  return dayOf(t.getTime());
};

/**
 * The signed pieces of `from`-`to` (inclusive days) over `levels`, coarsest first and ending with
 * 'day'. Summing each piece's rows times its sign gives the period's figures.
 */
export function splitPeriod(from: string, to: string, levels: Level[] = ['month', 'day'], sign: 1 | -1 = 1): Piece[] {
  const [level, ...finer] = levels;
  if (level === 'day' || finer.length === 0) return [{ level: 'day', first: from, last: to, sign }];
  const pieces: Piece[] = [];
  for (let unit = unitStart(level, from); unit <= to; unit = nextUnit(level, unit)) {
    const last = dayBefore(nextUnit(level, unit));
    const a = from > unit ? from : unit;
    const b = to < last ? to : last;
    const covered = daysFrom(a, b);
    const length = daysFrom(unit, last);
    if (covered === length) {
      pieces.push({ level, first: unit, last: unit, sign });
    } else if (length - covered < covered) {
      pieces.push({ level, first: unit, last: unit, sign });
      if (a > unit) pieces.push(...splitPeriod(unit, dayBefore(a), finer, -sign as 1 | -1));
      if (b < last) pieces.push(...splitPeriod(dayAfter(b), last, finer, -sign as 1 | -1));
    } else {
      pieces.push(...splitPeriod(a, b, finer, sign));
    }
  }
  // Consecutive whole units of one level and sign read as one range.
  return pieces.reduce<Piece[]>((merged, piece) => {
    const previous = merged[merged.length - 1];
    if (
      previous &&
      piece.level !== 'day' &&
      previous.level === piece.level &&
      previous.sign === piece.sign &&
      nextUnit(piece.level, previous.last) === piece.first
    ) {
      previous.last = piece.last;
    } else {
      merged.push({ ...piece });
    }
    return merged;
  }, []);
}

export interface PeriodSource {
  /** The table of each level: day column `local_day`, month column `month`, year column `year`. */
  tables: Partial<Record<Level, string>>;
  /** The columns the tables share besides the day, and the additive figures. */
  keys: readonly string[];
  figures: readonly string[];
  /** A condition on every table. */
  where?: RawBuilder<unknown>;
}

const unitColumn: Record<Level, string> = { day: 'local_day', month: 'month', year: 'year' };

/**
 * One part per level and sign of `pieces`: `part` is given the level, the sign and the condition
 * that selects the pieces' units on the level's unit column.
 */
export function periodParts<R>(
  pieces: Piece[],
  part: (level: Level, sign: 1 | -1, within: RawBuilder<unknown>) => RawBuilder<R>,
): RawBuilder<R>[] {
  const parts: RawBuilder<R>[] = [];
  for (const level of ['year', 'month', 'day'] as const) {
    for (const sign of [1, -1] as const) {
      const ranges = pieces.filter((p) => p.level === level && p.sign === sign);
      if (ranges.length === 0) continue;
      const column = sql.ref(unitColumn[level]);
      parts.push(
        part(
          level,
          sign,
          sql.join(
            ranges.map((r) => sql`${column} between ${r.first}::date and ${r.last}::date`),
            sql` or `,
          ),
        ),
      );
    }
  }
  return parts;
}

/**
 * The aggregate rows of a period, `local_day, keys…, figures…` (the day column holds each unit's
 * first day), one part per level and sign with the figures negated where subtracted. Summed by key,
 * they give the period's figures.
 */
export function periodRows(pieces: Piece[], source: PeriodSource): RawBuilder<unknown> {
  const columns = (sign: 1 | -1) =>
    sql.join([
      ...source.keys.map((k) => sql.ref(k)),
      ...source.figures.map((f) => (sign < 0 ? sql`-${sql.ref(f)} as ${sql.ref(f)}` : sql.ref(f))),
    ]);
  const parts = periodParts(pieces, (level, sign, within) => {
    const table = source.tables[level];
    if (!table) throw new Error(`no ${level} table for this report`);
    return sql`select ${sql.ref(unitColumn[level])} as local_day, ${columns(sign)} from ${sql.table(table)} where (${within}) and ${source.where ?? sql`true`}`;
  });
  return sql.join(parts, sql` union all `);
}
