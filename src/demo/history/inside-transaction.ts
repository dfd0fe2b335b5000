import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type Transaction,
} from 'kysely';
import type { Prepared } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';

/**
 * A Kysely that runs everything inside one open transaction: the demo's year of history is made by
 * the services themselves (each opening transactions of its own), yet commits or rolls back with the
 * province as one unit. Each transaction a service opens becomes a savepoint of the outer one, so
 * a service that rolls back undoes only its own work, as it would on its own.
 *
 * One holder at a time, first come first served (as the embedded database's driver): statements of
 * concurrent callers never land inside another caller's savepoint. As there, a caller holding a
 * transaction must not use the outer Kysely until it ends; the services never do.
 */
export function kyselyInside(outer: Transaction<DB>): { db: Kysely<DB>; prepared: Prepared } {
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new SavepointDriver(outer),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  // Named prepared statements belong to a pooled connection; inside one transaction a plain query does.
  const prepared: Prepared = async (_name, query) => (await db.executeQuery(query)).rows;
  return { db, prepared };
}

class SavepointDriver implements Driver {
  readonly #connection: DatabaseConnection;
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | null = null;
  #savepoints: string[] = [];
  #counter = 0;

  constructor(outer: Transaction<DB>) {
    this.#connection = {
      executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> => outer.executeQuery<R>(query),
      // eslint-disable-next-line require-yield
      async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
        throw new Error('Streaming is not supported inside the demo loader');
      },
    };
  }

  async init() {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection() {
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  // Isolation levels cannot change inside a transaction; the outer one sees every write anyway.
  async beginTransaction(connection: DatabaseConnection) {
    const name = `demo_history_${(this.#counter += 1)}`;
    this.#savepoints.push(name);
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${name}`));
  }

  async commitTransaction(connection: DatabaseConnection) {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${this.#savepoints.pop()}`));
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    const name = this.#savepoints.pop();
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${name}`));
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${name}`));
  }

  async destroy() {
    await this.#tail;
  }
}
