// Server-side generation of the result index: one INSERT … SELECT per chunk of patients, every field
// drawn in SQL from a seeded hash (gen_rand), so 20 million rows never cross the wire. Patients come
// in episodes (a visit: 2-5 results on one day at one hospital, 80% in the home city); dates lean
// towards the present (volume grew over the three years); items follow ordering popularity.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.ts';
import { defaultCatalogue } from '../../src/modules/registry/index.ts';
import { imagingCategories } from '../../src/modules/rules/index.ts';
import { hospitals, hospitalSlots, itemSlots } from './province.ts';

export interface ResultLoad {
  now: Date;
  days: number;
  seed: number;
  jobs: number;
  counts: Uint32Array;
  log: (line: string) => void;
}

const findings: Record<string, string> = {
  xray: '双肺纹理清晰，心影大小形态未见异常。',
  ct: '平扫未见明确占位性病变，建议随访。',
  mri: '各序列信号未见明显异常。',
  ultrasound: '实质回声均匀，未见明显占位。',
  nuclear: '未见明显异常放射性浓聚或缺损。',
  ecg: '窦性心律，正常心电图。',
  pathology: '送检组织呈慢性炎症改变。',
};

/** Helper tables and the seeded uniform draw in [0, 1): an inlinable SQL function over hashint8extended. */
export async function prepareGenerator(db: Kysely<DB>): Promise<void> {
  await sql`create function gen_rand(bigint, bigint) returns float8 language sql immutable parallel safe
    as 'select (hashint8extended($1, $2) & 140737488355327)::float8 / 140737488355328'`.execute(db);
  await sql`create table gen_hospitals (num integer primary key, id text not null, city integer not null)`.execute(db);
  await sql`insert into gen_hospitals select * from unnest(${hospitals.map((h) => h.num)}::int[], ${hospitals.map((h) => h.id)}::text[], ${hospitals.map((h) => h.city)}::int[])`.execute(
    db,
  );
  await sql`create table gen_items (num integer primary key, code text not null, category text not null, imaging boolean not null,
    analyte_codes text[] not null, analytes jsonb, findings text)`.execute(db);
  for (const [num, item] of defaultCatalogue.entries()) {
    const analytes =
      item.analytes?.map((code, i) => ({ code, value: Math.round((4 + ((i * 7.3) % 90)) * 10) / 10, unit: 'mmol/L' })) ?? null;
    await sql`insert into gen_items values (${num}, ${item.code}, ${item.category}, ${(imagingCategories as readonly string[]).includes(item.category)},
      ${item.analytes ?? []}::text[], ${analytes === null ? null : JSON.stringify(analytes)}::jsonb, ${findings[item.category] ?? null})`.execute(
      db,
    );
  }
}

/** Patient-index boundaries of chunks of about `rows` results each. */
function chunkBounds(counts: Uint32Array, rows: number): [number, number, number][] {
  const bounds: [number, number, number][] = [];
  let from = 0;
  let size = 0;
  for (let i = 0; i < counts.length; i += 1) {
    size += counts[i];
    if (size >= rows || i === counts.length - 1) {
      bounds.push([from, i + 1, size]);
      from = i + 1;
      size = 0;
    }
  }
  return bounds;
}

export async function loadResults(db: Kysely<DB>, load: ResultLoad): Promise<void> {
  const total = load.counts.reduce((a, b) => a + b, 0);
  const { slots, cityStart, cityLength } = hospitalSlots();
  const items = itemSlots(defaultCatalogue.map((i) => i.code));
  const chunks = chunkBounds(load.counts, 250_000);
  const started = performance.now();
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const [lo, hi, size] = chunks[next++];
      await insertChunk(db, lo, hi, load, { slots, cityStart, cityLength, items });
      done += size;
      const seconds = (performance.now() - started) / 1000;
      load.log(
        `  results ${((100 * done) / total).toFixed(1).padStart(5)}%  ${done.toLocaleString('en')} rows  ${Math.round(done / seconds).toLocaleString('en')} rows/s`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, load.jobs) }, worker));
}

interface Slots {
  slots: number[];
  cityStart: number[];
  cityLength: number[];
  items: number[];
}

async function insertChunk(db: Kysely<DB>, lo: number, hi: number, load: ResultLoad, s: Slots): Promise<void> {
  const seed = load.seed;
  // Each result with its accession, in one statement: the accession names the result's id and patient key.
  await sql`
    with indexed as (
    insert into results (id, issuing_hospital_id, accession_no, patient_key, item_code, local_code, kind, status, performed_at, reported_at,
                         images_available, study_uid, critical_open, equipment, analytes, analyte_codes, findings, content_hash, version,
                         created_at, updated_at)
    select gen_random_uuid(), h.id, 'G' || e.gid, e.patient_key, it.code, null,
           case when it.category <> 'lab' and e.u_kind < 0.004 then 'conclusion' when it.imaging then 'images' else 'data' end,
           case when e.u_status < 0.95 then 'final' when e.u_status < 0.97 then 'amended' when e.u_status < 0.98 then 'corrected'
                when e.u_status < 0.99 then 'preliminary' when e.u_status < 0.995 then 'cancelled' else 'entered-in-error' end,
           e.performed_at, e.performed_at + make_interval(hours => 1 + (e.u_kind * 40)::int),
           case when it.imaging then e.u_images < 0.95 end,
           case when it.imaging then '1.2.156.600734.' || h.num || '.' || e.gid end,
           e.u_critical < 0.005,
           case when it.category = 'ct' then jsonb_build_object('sliceCount', (array[16, 64, 128, 256])[1 + floor(e.u_images * 4)::int]) end,
           it.analytes, it.analyte_codes, it.findings,
           md5(e.gid::text) || md5(e.patient_key || e.gid::text), 1,
           e.performed_at + make_interval(hours => 1 + (e.u_kind * 40)::int), e.performed_at + make_interval(hours => 1 + (e.u_kind * 40)::int)
    from (
      select x.patient_key, x.gid,
             ${load.now}::timestamptz
               - make_interval(secs => ${load.days}::float8 * 86400 * (1 - sqrt(gen_rand(x.episode_key, ${seed} + 1))) + x.episode_size * 600)
               + make_interval(secs => x.position * 600) as performed_at,
             case when gen_rand(x.episode_key, ${seed} + 2) < 0.8
                  then (${s.slots}::int[])[1 + (${s.cityStart}::int[])[1 + x.home_city] + floor(gen_rand(x.episode_key, ${seed} + 3) * (${s.cityLength}::int[])[1 + x.home_city])::int]
                  else (${s.slots}::int[])[1 + floor(gen_rand(x.episode_key, ${seed} + 3) * ${s.slots.length})::int]
             end as hospital_num,
             (${s.items}::int[])[1 + floor(gen_rand(x.gid, ${seed} + 4) * ${s.items.length})::int] as item_num,
             gen_rand(x.gid, ${seed} + 5) as u_status, gen_rand(x.gid, ${seed} + 6) as u_kind,
             gen_rand(x.gid, ${seed} + 7) as u_images, gen_rand(x.gid, ${seed} + 8) as u_critical
      from (
        select p.patient_key, p.home_city, p.first_row + s.n as gid,
               p.idx::bigint * 4099 + (s.n - 1) / (2 + p.idx % 4) as episode_key,
               (s.n - 1) % (2 + p.idx % 4) as position, 2 + p.idx % 4 as episode_size
        from gen_patients p cross join lateral generate_series(1, p.n_results) as s(n)
        where p.idx >= ${lo} and p.idx < ${hi}
      ) x
    ) e
    join gen_hospitals h on h.num = e.hospital_num
    join gen_items it on it.num = e.item_num
    -- Rows land in time order, as hospitals submit them: a patient's results end up on different
    -- pages, so the candidate look-up reads the heap as it would in production.
    order by e.performed_at
    returning id, issuing_hospital_id, accession_no, patient_key)
    insert into result_accessions (issuing_hospital_id, accession_no, result_id, patient_key)
    select issuing_hospital_id, accession_no, id, patient_key from indexed`.execute(db);
}
