import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from './postgres.ts';

interface Node {
  host: string;
  port: number;
}

function atNode(url: string, node: Node, database: string): string {
  const parsed = new URL(withDatabase(url, database));
  parsed.hostname = node.host;
  parsed.port = String(node.port);
  return parsed.toString();
}

async function run(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database on a running Citus cluster, given its coordinator's URL: Citus does not create a
 * database on the workers, nor the extension in it, so both are made on every node (the workers as the
 * coordinator's metadata names them, with the URL's user), and the new database's metadata gets the
 * coordinator and the workers. Returns its URL and a dropper.
 */
export async function createCitusDatabase(coordinatorUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: coordinatorUrl });
  await admin.connect();
  let coordinator: Node;
  let workers: Node[];
  try {
    const nodes = await admin.query<{ host: string; port: number; group: number }>(
      `select nodename as host, nodeport as port, groupid as group from pg_dist_node where noderole = 'primary' and isactive order by groupid`,
    );
    const own = nodes.rows.find((n) => n.group === 0);
    if (!own) throw new Error('CITUS_URL names a database whose coordinator is not in its metadata: run citus_set_coordinator_host there');
    coordinator = own;
    workers = nodes.rows.filter((n) => n.group !== 0);
  } finally {
    await admin.end();
  }
  const name = `mre_citus_${randomBytes(6).toString('hex')}`;
  const maintenance = new URL(coordinatorUrl).pathname.slice(1) || 'postgres';
  const nodes = [coordinator, ...workers];
  for (const node of nodes) {
    await run(atNode(coordinatorUrl, node, maintenance), [`create database ${name}`]);
    await run(atNode(coordinatorUrl, node, name), ['create extension citus']);
  }
  await run(atNode(coordinatorUrl, coordinator, name), [
    `select citus_set_coordinator_host('${coordinator.host}', ${coordinator.port})`,
    ...workers.map((w) => `select citus_add_node('${w.host}', ${w.port})`),
  ]);
  return {
    url: atNode(coordinatorUrl, coordinator, name),
    drop: async () => {
      for (const node of nodes) await run(atNode(coordinatorUrl, node, maintenance), [`drop database if exists ${name} with (force)`]);
    },
  };
}
