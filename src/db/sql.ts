import { sql } from 'kysely';

/** The Asia/Shanghai day of a timestamptz column, in SQL (src/calendar.ts says it in TypeScript). */
export const shanghaiDaySql = (column: string) => sql.raw(`((${column} at time zone 'UTC') + interval '8 hours')::date`);
