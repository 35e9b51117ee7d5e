import pg from 'pg';

export const PG_URL = process.env.PGURL_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A PostgreSQL session running a long `pg_sleep`: something real for `db cancel` / `db kill` to act on. */
export interface PgVictim {
  pid: number;
  /** Resolves with 'finished', or the SQLSTATE the query ended with (57014 = cancelled). */
  outcome: Promise<string | undefined>;
  end(): Promise<void>;
}

/**
 * Resolves once the sleep is running (state `active`), not merely sent: `db cancel` is refused before approval
 * for a session that runs no statement, so a test that asks at once must not race the victim's first statement.
 */
export async function startPgVictim(applicationName: string, seconds = 300): Promise<PgVictim> {
  const client = new pg.Client({ connectionString: PG_URL, application_name: applicationName });
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const outcome = client.query('SELECT pg_sleep($1)', [seconds]).then(
    () => 'finished',
    (e: { code?: string }) => e.code,
  );
  const probe = new pg.Client({ connectionString: PG_URL });
  await probe.connect();
  try {
    for (let i = 0; ; i++) {
      const r = await probe.query<{ state: string | null }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
      if (r.rows[0]?.state === 'active') break;
      if (i >= 400) throw new Error(`the pg_sleep of victim pid ${pid} did not start`);
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    await probe.end();
  }
  return { pid, outcome, end: () => client.end().catch(() => undefined) };
}
