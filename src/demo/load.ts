import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/schema.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { createAuditTrail } from '../modules/audit/index.ts';
import { defaultCatalogue, type CatalogueEntry } from '../modules/registry/index.ts';
import { catchUp } from '../modules/reports/index.ts';
import { kyselyInside } from './history/inside-transaction.ts';
import { planHistory } from './history/plan.ts';
import { playHistory, type HistorySummary } from './history/play.ts';
import { buildDemoProvince } from './province.ts';
import { chunks, hashDemoSecrets, insertClients, insertRegistry, insertResults, prepareResult } from './province-rows.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** A year: the last twelve full months and the current one, so every season and every report period up to a year has something to show. */
export const demoHistoryMonths = 12;

export interface DemoLoadOptions {
  /** Full months of history played through the services before the current one; 0 loads the province alone. */
  historyMonths?: number;
  /** The metrics the history's audit events are counted in (the server's, when it passes them). */
  metrics?: Metrics;
}

export interface DemoLoadSummary {
  loaded: boolean;
  items: number;
  hospitals: number;
  scopes: number;
  certifications: number;
  clients: number;
  patients: number;
  results: number;
  /** What the history added (null when none was played). */
  history: HistorySummary | null;
  /** Writing the province, playing its history (and counting it into the reports), and both. */
  provinceMs: number;
  historyMs: number;
  ms: number;
}

/**
 * Upserts the shipped catalogue: the default items get their shipped names, windows and prices
 * back; items a region added itself are left alone. Returns how many items were written.
 */
export async function loadCatalogue(db: Executor, now: Date, catalogue: readonly CatalogueEntry[] = defaultCatalogue): Promise<number> {
  const rows = catalogue.map((entry) => ({
    code: entry.code,
    name: entry.name,
    name_zh: entry.nameZh,
    category: entry.category,
    validity_days: entry.validityDays,
    negative_list: entry.negativeList,
    analytes: entry.analytes,
    prices: JSON.stringify(entry.prices),
    minutes_saved: entry.minutesSaved,
    radiation_msv: entry.radiationMsv,
    loinc: entry.loinc,
    updated_at: now,
  }));
  for (const chunk of chunks(rows)) {
    await db
      .insertInto('items')
      .values(chunk)
      .onConflict((oc) =>
        oc.column('code').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          name_zh: eb.ref('excluded.name_zh'),
          category: eb.ref('excluded.category'),
          validity_days: eb.ref('excluded.validity_days'),
          negative_list: eb.ref('excluded.negative_list'),
          analytes: eb.ref('excluded.analytes'),
          prices: eb.ref('excluded.prices'),
          minutes_saved: eb.ref('excluded.minutes_saved'),
          radiation_msv: eb.ref('excluded.radiation_msv'),
          loinc: eb.ref('excluded.loinc'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
  return rows.length;
}

/**
 * Loads the demo province (src/demo/province.ts) into an empty registry, then plays a year of its
 * history through the services (src/demo/history/), all in one transaction: either all of it or
 * nothing, so a start interrupted halfway leaves an empty registry and the next start loads it
 * again. A registry with any hospital is left untouched, so a restart, a second replica or a real
 * deployment never gets demo data mixed in.
 */
export async function loadDemoDataIfEmpty(
  db: Kysely<DB>,
  patientKeySecret: string,
  logger: Pick<Logger, 'info' | 'error'>,
  now: Date = new Date(),
  options: DemoLoadOptions = {},
): Promise<DemoLoadSummary> {
  const started = performance.now();
  const skipped: DemoLoadSummary = {
    loaded: false,
    items: 0,
    hospitals: 0,
    scopes: 0,
    certifications: 0,
    clients: 0,
    patients: 0,
    results: 0,
    history: null,
    provinceMs: 0,
    historyMs: 0,
    ms: 0,
  };
  if (!(await registryIsEmpty(db))) return skipped;

  const historyMonths = options.historyMonths ?? demoHistoryMonths;
  const province = buildDemoProvince(now);
  // Certification events recorded during the history are recorded on their day, through the
  // registry service; the province starts with the earlier ones.
  const plan =
    historyMonths > 0
      ? planHistory({
          now,
          months: historyMonths,
          hospitals: province.hospitals,
          catalogue: province.catalogue,
          seen: new Set(province.patients),
          certifications: province.certifications,
        })
      : null;
  const hashing = hashDemoSecrets(province);
  const prepared = province.results.map((result) => prepareResult(result, patientKeySecret));

  let provinceMs = 0;
  const loading = db.transaction().execute(async (trx) => {
    // Two processes starting on one empty database: the second waits here, then finds hospitals.
    await sql`select pg_advisory_xact_lock(hashtext('mre:demo-data'))`.execute(trx);
    if (!(await registryIsEmpty(trx))) return null;
    if (plan)
      logger.info(`Loading the demo province and ${plan.days.length} days of its history through the services (about ten seconds, once)`);
    await loadCatalogue(trx, now, province.catalogue);
    await insertRegistry(trx, province, plan?.earlierCertifications ?? province.certifications, now);
    await insertResults(trx, prepared);
    await insertClients(trx, province, await hashing, now);
    provinceMs = performance.now() - started;
    if (!plan) return { history: null };
    const inside = kyselyInside(trx);
    try {
      const audit = createAuditTrail(options.metrics ?? createMetrics());
      const history = await playHistory({ db: inside.db, prepared: inside.prepared, audit, patientKeySecret }, plan);
      // Counted into the report aggregates now, so the dashboard has its figures at first sight.
      await catchUp(inside.db);
      return { history };
    } finally {
      await inside.db.destroy();
    }
  });
  const loaded = await loading.catch((error: unknown) => {
    logger.error({ err: error }, 'Loading the demo failed; nothing of it was written (the next start tries again)');
    throw error;
  });
  if (!loaded) return skipped;

  const ms = Math.round(performance.now() - started);
  const { history } = loaded;
  const summary: DemoLoadSummary = {
    loaded: true,
    items: province.catalogue.length,
    hospitals: province.hospitals.length,
    scopes: province.scopes.length,
    certifications: province.certifications.length,
    clients: province.clients.length,
    patients: province.patients.length + (history?.patients ?? 0),
    results: province.results.length + (history?.results ?? 0),
    history,
    provinceMs: Math.round(provinceMs),
    historyMs: ms - Math.round(provinceMs),
    ms,
  };
  const { loaded: _loaded, history: _history, provinceMs: _p, historyMs, ms: _ms, ...counts } = summary;
  const year = history
    ? `; its history of ${history.days} days: ${history.checks} recognition checks (${history.checkItems} items), ${history.recognitions} recognitions, ` +
      `${history.declines} declines (${history.flagged} flagged for review), ${history.amended} amended and ${history.withdrawn} withdrawn results, ` +
      `${history.certificationEvents} certification events in ${historyMs} ms`
    : '';
  logger.info(
    { demoData: counts, history, provinceMs: summary.provinceMs, historyMs, ms },
    `Loaded the demo province: ${counts.hospitals} hospitals, ${counts.scopes} scopes, ${counts.certifications} certification events, ${counts.clients} clients, ` +
      `${counts.patients} patients, ${counts.results} results in ${summary.provinceMs} ms${year} (demo credentials: docs/demo.md)`,
  );
  return summary;
}

async function registryIsEmpty(db: Executor): Promise<boolean> {
  const any = await db.selectFrom('hospitals').select('id').limit(1).executeTakeFirst();
  return any === undefined;
}
