/**
 * @module store/postgres/create-postgres-token-repository
 * Gateway tokens in PostgreSQL, held by their SHA-256 hash only.
 */
import type { TokenRecord, TokenRepository } from "../store-types.ts";
import type { PostgresPool } from "./open-postgres-pool.ts";

interface TokenRow {
  hash: string;
  user_id: string;
  created_at: number;
  revoked_at: number | null;
}

export function createPostgresTokenRepository(pool: PostgresPool): TokenRepository {
  return {
    async add(token) {
      await pool.query("INSERT INTO tokens (hash, user_id, created_at, revoked_at) VALUES ($1, $2, $3, $4)", [
        token.hash,
        token.userId,
        token.createdAt,
        token.revokedAt,
      ]);
    },
    async findByHash(hash): Promise<TokenRecord | null> {
      const { rows } = await pool.query<TokenRow>("SELECT * FROM tokens WHERE hash = $1", [hash]);
      const row = rows[0];
      return row
        ? { hash: row.hash, userId: row.user_id, createdAt: row.created_at, revokedAt: row.revoked_at }
        : null;
    },
  };
}
