/**
 * @module store/postgres/create-postgres-user-repository
 * Users in PostgreSQL: created once, listed, revoked together with their tokens, plans set.
 */
import type { UserRecord, UserRepository } from "../store-types.ts";
import type { PostgresPool } from "./open-postgres-pool.ts";

interface UserRow {
  id: string;
  plan: string | null;
  created_at: number;
  revoked_at: number | null;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  plan: row.plan,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export function createPostgresUserRepository(pool: PostgresPool): UserRepository {
  return {
    async create(user) {
      const result = await pool.query(
        "INSERT INTO users (id, plan, created_at, revoked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        [user.id, user.plan, user.createdAt, user.revokedAt],
      );
      return result.rowCount === 1;
    },
    async get(id) {
      const { rows } = await pool.query<UserRow>("SELECT * FROM users WHERE id = $1", [id]);
      return rows[0] ? toUser(rows[0]) : null;
    },
    async list() {
      const { rows } = await pool.query<UserRow>("SELECT * FROM users ORDER BY created_at, id");
      return rows.map(toUser);
    },
    async revoke(id, at) {
      return pool.transaction(async (client) => {
        const result = await client.query(
          "UPDATE users SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
          [at, id],
        );
        await client.query("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE user_id = $2", [
          at,
          id,
        ]);
        return result.rowCount === 1;
      });
    },
    async setPlan(id, plan) {
      const result = await pool.query("UPDATE users SET plan = $1 WHERE id = $2", [plan, id]);
      return result.rowCount === 1;
    },
  };
}
