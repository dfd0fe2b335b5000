import { sql, type RawBuilder } from 'kysely';

/** One event's additive report figures, before they are spread over the roll-up dimensions. */
export interface RollupFigures {
  check_items?: number;
  with_recognizable?: number;
  recognized?: number;
  recognitions?: number;
  declines?: number;
  flagged_declines?: number;
  yuan?: number;
  minutes?: number;
  radiation_msv?: number;
  own_recognitions?: number;
  own_yuan?: number;
  own_minutes?: number;
  own_radiation_msv?: number;
}

/** Where an event counts: (dimension, value) pairs of agg_rollup. */
export type Along = [dimension: string, value: string][];

export interface RollupEvent {
  day: string;
  along: Along;
  figures: RollupFigures;
}

/** The receiver's side of an event: the province, the receiver, the item, its category, the receiver's city. */
export function receiverSide(e: { receiverId: string; receiverCity: string; itemCode: string; category: string }): Along {
  return [['all', ''], ['receiver', e.receiverId], ['item', e.itemCode], ['category', e.category], ['city', e.receiverCity]];
}

/** Rows shared by every writer of a day are split over shards; per-hospital and per-item rows are not. */
const sharded = new Set(['all', 'category', 'city']);

const figureColumns = [
  'check_items', 'with_recognizable', 'recognized', 'recognitions', 'declines', 'flagged_declines', 'yuan', 'minutes', 'radiation_msv',
  'own_recognitions', 'own_yuan', 'own_minutes', 'own_radiation_msv',
] as const;

export const shardCount = 8;

type RollupRow = { dimension: string; local_day: string; dim_value: string; shard: number } & Required<RollupFigures>;

/**
 * The roll-up rows of a set of events, summed per key and sorted (one statement may not touch a row
 * twice; a fixed order keeps concurrent writers from deadlocking). `shard` spreads the hot rows.
 */
export function rollupRows(events: RollupEvent[], shard: number): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const e of events) {
    for (const [dimension, value] of e.along) {
      const s = sharded.has(dimension) ? shard : 0;
      const key = [dimension, e.day, value, s].join('\u0000');
      const row = rows.get(key) ?? ({ dimension, local_day: e.day, dim_value: value, shard: s, ...Object.fromEntries(figureColumns.map((c) => [c, 0])) } as RollupRow);
      for (const column of figureColumns) row[column] += e.figures[column] ?? 0;
      rows.set(key, row);
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** `insert … on conflict do update` adding the rows to agg_rollup (usable as a CTE). */
export function upsertRollup(rows: RollupRow[]): RawBuilder<unknown> {
  const columns = sql.raw(figureColumns.join(', '));
  const additions = sql.raw(figureColumns.map((c) => `${c} = agg_rollup.${c} + excluded.${c}`).join(', '));
  return sql`
    insert into agg_rollup (dimension, local_day, dim_value, shard, ${columns})
    select x.dimension, x.local_day, x.dim_value, x.shard, ${sql.raw(figureColumns.map((c) => `x.${c}`).join(', '))}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
      dimension text, local_day date, dim_value text, shard smallint, check_items integer, with_recognizable integer, recognized integer,
      recognitions integer, declines integer, flagged_declines integer, yuan numeric, minutes bigint, radiation_msv numeric,
      own_recognitions integer, own_yuan numeric, own_minutes bigint, own_radiation_msv numeric)
    on conflict (dimension, local_day, dim_value, shard) do update set ${additions}`;
}

export function randomShard(): number {
  return Math.floor(Math.random() * shardCount);
}

export interface PatientDayEvent {
  day: string;
  along: Along;
  patientHash: string;
}

/**
 * Counts patient-days: each (day, dimension, value, patient) once, through agg_patient_days, and
 * adds the newly seen ones to the roll-up's `patients` (one statement).
 */
export function countPatientDays(events: PatientDayEvent[], shard: number): RawBuilder<unknown> {
  const rows = new Map<string, { dimension: string; local_day: string; dim_value: string; patient_hash: string }>();
  for (const e of events) {
    for (const [dimension, value] of e.along) {
      rows.set([dimension, e.day, value, e.patientHash].join('\u0000'), { dimension, local_day: e.day, dim_value: value, patient_hash: e.patientHash });
    }
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  return sql`
    with fresh as (
      insert into agg_patient_days (dimension, local_day, dim_value, patient_hash)
      select x.dimension, x.local_day, x.dim_value, x.patient_hash
      from jsonb_to_recordset(${JSON.stringify(sorted)}::jsonb) as x(dimension text, local_day date, dim_value text, patient_hash bigint)
      on conflict do nothing
      returning dimension, local_day, dim_value
    )
    insert into agg_rollup (dimension, local_day, dim_value, shard, patients)
    select dimension, local_day, dim_value, case when dimension in ('all', 'category', 'city') then ${shard}::smallint else 0 end, count(*)
    from fresh group by 1, 2, 3 order by 1, 2, 3
    on conflict (dimension, local_day, dim_value, shard) do update set patients = agg_rollup.patients + excluded.patients`;
}
