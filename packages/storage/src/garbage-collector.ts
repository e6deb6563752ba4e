import type { GarbageReport } from "./database-store.js";
import type { SqlClient } from "./metadata/sql-client.js";
import type { ObjectStore } from "./object-store/object-store.js";
import { RESULTS_PREFIX } from "./result-parts.js";
import { STAGED_PREFIX } from "./staged-rows.js";

export interface GarbageOptions {
  dryRun: boolean;
  retentionMs: number;
  gracePeriodMs: number;
  transactionLifetimeMs: number;
  stagingLifetimeMs: number;
  resultLifetimeMs: number;
}

/**
 * Snapshots whose contents stay readable (FORMAT.md §7): heads, named ones,
 * recent ones; and the private snapshots of transactions that may still run
 * ($2: the transaction lifetime), which are never heads nor named.
 */
const RETAINED = `
  retained AS (
    SELECT d.head_snapshot_id AS id FROM databases d
    WHERE d.dropped_at IS NULL OR d.dropped_at > now() - $1 * interval '1 millisecond'
    UNION
    SELECT n.snapshot_id FROM snapshot_names n JOIN databases d ON d.id = n.database_id
    WHERE d.dropped_at IS NULL OR d.dropped_at > now() - $1 * interval '1 millisecond'
    UNION
    SELECT s.id FROM snapshots s JOIN databases d ON d.id = s.database_id
    WHERE s.created_at > now() - CASE WHEN s.private THEN $2 * interval '1 millisecond' ELSE $1 * interval '1 millisecond' END
      AND (d.dropped_at IS NULL OR d.dropped_at > now() - $1 * interval '1 millisecond')
  )`;

/** Snapshots whose rows stay: the retained ones and the chains their manifests resolve through. */
const NEEDED = `
  WITH RECURSIVE ${RETAINED}, needed AS (
    SELECT s.id, s.parent_id, s.chain_depth FROM snapshots s JOIN retained r ON r.id = s.id
    UNION
    SELECT s.id, s.parent_id, s.chain_depth FROM snapshots s JOIN needed n ON s.id = n.parent_id
    WHERE n.chain_depth > 0
  )`;

/**
 * Garbage collection (FORMAT.md §7): unneeded snapshot rows first, then the
 * layers nothing references any more once they stayed unreferenced for the
 * grace period, then orphans of writers that never committed, then staged
 * rows nobody wrote in time, then result parts whose URLs expired.
 */
export async function collectGarbage(
  sql: SqlClient,
  objects: ObjectStore,
  options: GarbageOptions,
): Promise<GarbageReport> {
  const report: GarbageReport = {
    dryRun: options.dryRun,
    snapshotsDeleted: 0,
    databasesPurged: 0,
    layersDeleted: 0,
    bytesDeleted: 0,
    orphansDeleted: 0,
    stagedDeleted: 0,
    resultsDeleted: 0,
  };
  const retention = options.retentionMs;
  const grace = options.gracePeriodMs;
  const lifetime = options.transactionLifetimeMs;

  // A snapshot that is no longer retained is pruned: its layer references go, which lets its layers become
  // garbage after the grace period, while its row stays for that long (readers that pinned it keep reading)
  // and afterwards as long as a retained snapshot's manifest chain runs through it.
  const [expiring] = await sql.query<{ count: bigint }>(
    `WITH ${RETAINED} SELECT count(*) AS count FROM snapshots WHERE pruned_at IS NULL AND id NOT IN (SELECT id FROM retained)`,
    [retention, lifetime],
  );
  report.snapshotsDeleted = Number(expiring?.count ?? 0);
  if (!options.dryRun) {
    await sql.transaction(async (tx) => {
      const pruned = await tx.query<{ id: bigint }>(
        `WITH ${RETAINED} UPDATE snapshots SET pruned_at = now()
         WHERE pruned_at IS NULL AND id NOT IN (SELECT id FROM retained) RETURNING id`,
        [retention, lifetime],
      );
      if (pruned.length > 0) {
        await tx.query("DELETE FROM snapshot_layers WHERE snapshot_id = ANY($1::bigint[])", [
          pruned.map((row) => row.id),
        ]);
      }
      await tx.query(
        `${NEEDED} DELETE FROM snapshots WHERE pruned_at < now() - $3 * interval '1 millisecond'
         AND id NOT IN (SELECT id FROM needed)`,
        [retention, lifetime, grace],
      );
    });
  }

  const [purgeable] = await sql.query<{ count: bigint }>(
    `${NEEDED} SELECT count(*) AS count FROM databases d WHERE d.dropped_at < now() - $1 * interval '1 millisecond'
     AND NOT EXISTS (SELECT 1 FROM snapshots s JOIN needed n ON n.id = s.id WHERE s.database_id = d.id)`,
    [retention, lifetime],
  );
  report.databasesPurged = Number(purgeable?.count ?? 0);
  if (!options.dryRun && report.databasesPurged > 0) {
    await sql.transaction(async (tx) => {
      const purged = `SELECT d.id FROM databases d WHERE d.dropped_at < now() - $1 * interval '1 millisecond'
        AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.database_id = d.id)`;
      await tx.query(`DELETE FROM snapshot_names WHERE database_id IN (${purged})`, [retention]);
      await tx.query(`DELETE FROM databases WHERE id IN (${purged})`, [retention]);
    });
  }

  // Layers: mark newly unreferenced ones, unmark those referenced again, delete those unreferenced for long enough.
  if (!options.dryRun) {
    await sql.query(
      `UPDATE layers l SET unreferenced_since = now() WHERE unreferenced_since IS NULL
       AND NOT EXISTS (SELECT 1 FROM snapshot_layers sl WHERE sl.layer_key = l.key)`,
    );
    await sql.query(
      `UPDATE layers l SET unreferenced_since = NULL WHERE unreferenced_since IS NOT NULL
       AND EXISTS (SELECT 1 FROM snapshot_layers sl WHERE sl.layer_key = l.key)`,
    );
  }
  const expired = await sql.query<{ key: string; size: bigint }>(
    `SELECT key, size FROM layers l
     WHERE l.unreferenced_since <= now() - $1 * interval '1 millisecond'
       AND NOT EXISTS (SELECT 1 FROM snapshot_layers sl WHERE sl.layer_key = l.key)`,
    [grace],
  );
  for (const layer of expired) {
    report.layersDeleted++;
    report.bytesDeleted += Number(layer.size);
    if (options.dryRun) continue;
    await objects.delete(layer.key);
    await sql.query(
      "DELETE FROM layers l WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM snapshot_layers sl WHERE sl.layer_key = l.key)",
      [layer.key],
    );
  }

  // Orphans: objects no commit registered, older than the grace period (a writer may still be about to commit).
  const cutoff = Date.now() - grace;
  for await (const object of objects.list("layers/")) {
    if (object.lastModified.getTime() >= cutoff) continue;
    const [known] = await sql.query("SELECT 1 FROM layers WHERE key = $1", [object.key]);
    if (known !== undefined) continue;
    report.orphansDeleted++;
    report.bytesDeleted += object.size;
    if (!options.dryRun) await objects.delete(object.key);
  }

  // Staged rows: a write reads them within moments of their upload; older ones were abandoned.
  const stagedCutoff = Date.now() - options.stagingLifetimeMs;
  for await (const object of objects.list(STAGED_PREFIX)) {
    if (object.lastModified.getTime() >= stagedCutoff) continue;
    report.stagedDeleted++;
    if (!options.dryRun) await objects.delete(object.key);
  }

  // Result parts: their URLs stopped working, nobody can read them any more.
  const resultsCutoff = Date.now() - options.resultLifetimeMs;
  for await (const object of objects.list(RESULTS_PREFIX)) {
    if (object.lastModified.getTime() >= resultsCutoff) continue;
    report.resultsDeleted++;
    if (!options.dryRun) await objects.delete(object.key);
  }
  return report;
}
