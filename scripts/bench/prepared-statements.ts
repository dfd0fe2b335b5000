// An experiment, not a fix: loaded into the service with `npm run bench -- --prepared` (node --import),
// it makes node-postgres send every parameterised statement as a named prepared statement (named by a
// hash of its text), so PostgreSQL parses and plans each statement once per connection instead of on
// every execution. The service's code is untouched; the difference in the benchmark is what the
// service would gain from preparing its statements.
import { createHash } from 'node:crypto';
import pg from 'pg';

type Query = (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) => unknown;
const prototype = pg.Client.prototype as unknown as { query: Query };
const original = prototype.query;

prototype.query = function query(this: pg.Client, config: unknown, values?: unknown, callback?: unknown) {
  if (typeof config === 'string' && Array.isArray(values)) {
    const name = `mre_${createHash('sha1').update(config).digest('hex').slice(0, 20)}`;
    return original.call(this, { name, text: config, values }, callback);
  }
  return original.call(this, config, values, callback);
};
