/**
 * @module store/postgres/create-postgres-enrollment-repository
 * Enrollments in PostgreSQL: replaced whole in one transaction (answering what it replaced), touched,
 * fingerprints re-stored by compare-and-set.
 */
import type { StoredFingerprint } from "../../keys/pepper-ring.ts";
import { isProviderId, type ProviderId } from "../../keys/provider-ids.ts";
import type { EnrollmentRecord, EnrollmentRepository } from "../store-types.ts";
import { formatStoredCapabilities, parseStoredCapabilities } from "../stored-capabilities.ts";
import type { PostgresPool } from "./open-postgres-pool.ts";

interface EnrollmentRow {
  user_id: string;
  custom_base_url: string | null;
  custom_model: string | null;
  custom_capabilities: string | null;
  enrolled_at: number;
  last_seen_at: number;
  /** Every fingerprint of the enrollment, `[]` when none. */
  fingerprints: Array<{ provider: string; digest: string; pepper_id: string }>;
}

/** The enrollment and its fingerprints in one statement (one consistent snapshot). */
const SELECT_ENROLLMENT = `SELECT e.*, COALESCE(
    (SELECT json_agg(json_build_object('provider', f.provider, 'digest', f.digest, 'pepper_id', f.pepper_id))
     FROM enrollment_fingerprints f WHERE f.user_id = e.user_id), '[]') AS fingerprints
  FROM enrollments e WHERE e.user_id = $1`;

/**
 * The lock two puts of one user take turns on (its first key is "enrl" in ASCII; the migrations' is "byok"):
 * held to the end of the transaction, it exists before the user's row does, so two first enrollments at
 * once queue on it too (a row lock would let both read "none").
 */
const ENROLLMENT_LOCK = 0x656e726c;

function toRecord(row: EnrollmentRow | undefined): EnrollmentRecord | null {
  if (!row) return null;
  const fingerprints: Partial<Record<ProviderId, StoredFingerprint>> = {};
  for (const fingerprint of row.fingerprints) {
    if (isProviderId(fingerprint.provider)) {
      fingerprints[fingerprint.provider] = {
        digest: fingerprint.digest,
        pepperId: fingerprint.pepper_id,
      };
    }
  }
  return {
    userId: row.user_id,
    fingerprints,
    customBaseUrl: row.custom_base_url,
    customModel: row.custom_model,
    customCapabilities: parseStoredCapabilities(row.custom_capabilities),
    enrolledAt: row.enrolled_at,
    lastSeenAt: row.last_seen_at,
  } satisfies EnrollmentRecord;
}

export function createPostgresEnrollmentRepository(pool: PostgresPool): EnrollmentRepository {
  return {
    async get(userId) {
      const { rows } = await pool.query<EnrollmentRow>(SELECT_ENROLLMENT, [userId]);
      return toRecord(rows[0]);
    },
    async put(enrollment) {
      return pool.transaction(async (client) => {
        // Waits for any other put of this user to commit; then (read committed) the read sees what it wrote.
        await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [
          ENROLLMENT_LOCK,
          `${pool.schema}:${enrollment.userId}`,
        ]);
        const { rows } = await client.query<EnrollmentRow>(SELECT_ENROLLMENT, [enrollment.userId]);
        const previous = toRecord(rows[0]);
        // An upsert: the row stays; its fingerprints are replaced below.
        await client.query(
          `INSERT INTO enrollments (user_id, custom_base_url, custom_model, custom_capabilities, enrolled_at, last_seen_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (user_id) DO UPDATE SET custom_base_url = excluded.custom_base_url,
             custom_model = excluded.custom_model, custom_capabilities = excluded.custom_capabilities,
             enrolled_at = excluded.enrolled_at, last_seen_at = excluded.last_seen_at`,
          [
            enrollment.userId,
            enrollment.customBaseUrl,
            enrollment.customModel,
            formatStoredCapabilities(enrollment.customCapabilities),
            enrollment.enrolledAt,
            enrollment.lastSeenAt,
          ],
        );
        await client.query("DELETE FROM enrollment_fingerprints WHERE user_id = $1", [enrollment.userId]);
        for (const [provider, stored] of Object.entries(enrollment.fingerprints)) {
          await client.query(
            "INSERT INTO enrollment_fingerprints (user_id, provider, digest, pepper_id) VALUES ($1, $2, $3, $4)",
            [enrollment.userId, provider, stored.digest, stored.pepperId],
          );
        }
        return previous;
      });
    },
    async touch(userId, at) {
      const result = await pool.query("UPDATE enrollments SET last_seen_at = $1 WHERE user_id = $2", [
        at,
        userId,
      ]);
      return result.rowCount === 1;
    },
    async replaceFingerprint(userId, provider, previous, next) {
      const result = await pool.query(
        `UPDATE enrollment_fingerprints SET digest = $1, pepper_id = $2
         WHERE user_id = $3 AND provider = $4 AND digest = $5 AND pepper_id = $6`,
        [next.digest, next.pepperId, userId, provider, previous.digest, previous.pepperId],
      );
      return result.rowCount === 1;
    },
    async delete(userId) {
      const result = await pool.query("DELETE FROM enrollments WHERE user_id = $1", [userId]);
      return result.rowCount === 1;
    },
  };
}
