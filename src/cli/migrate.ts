/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL and exits. The server applies
 * them at start too (under the same advisory lock), so this is for deploy pipelines that migrate
 * before rolling out replicas.
 */
import { connect } from "../storage/db.js";
import { migrate } from "../storage/migrate.js";

const url = process.env.DATABASE_URL?.trim();
if (!url) {
  process.stderr.write("migrate: DATABASE_URL is required\n");
  process.exit(2);
}
const sql = connect({ url, max: 1, applicationName: "latchkey-migrate" });
try {
  const applied = await migrate(sql);
  process.stderr.write(applied.length ? `migrate: applied ${applied.join(", ")}\n` : "migrate: up to date\n");
} catch (err) {
  process.stderr.write(`migrate: ${(err as Error).message}${(err as Error).cause ? `: ${((err as Error).cause as Error).message}` : ""}\n`);
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
