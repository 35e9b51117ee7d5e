import pg from 'pg';

export const PG_URL = process.env.PGURL_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A PostgreSQL session running a long `pg_sleep`: something real for `db cancel` / `db kill` to act on. */
export interface PgVictim {
  pid: number;
  /** Resolves with 'finished', or the SQLSTATE the query ended with (57014 = cancelled). */
  outcome: Promise<string | undefined>;
  end(): Promise<void>;
}

export async function startPgVictim(applicationName: string, seconds = 300): Promise<PgVictim> {
  const client = new pg.Client({ connectionString: PG_URL, application_name: applicationName });
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const outcome = client.query('SELECT pg_sleep($1)', [seconds]).then(
    () => 'finished',
    (e: { code?: string }) => e.code,
  );
  return { pid, outcome, end: () => client.end().catch(() => undefined) };
}
