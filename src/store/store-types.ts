/**
 * @module store/store-types
 * The storage interface the core depends on (users, tokens, enrollments); SQLite now, PostgreSQL later.
 */
import type { StoredFingerprint } from "../keys/pepper-ring.ts";
import type { ProviderId } from "../keys/provider-ids.ts";

/** Milliseconds since the Unix epoch. */
export type Timestamp = number;

export interface UserRecord {
  readonly id: string;
  readonly plan: string | null;
  readonly createdAt: Timestamp;
  readonly revokedAt: Timestamp | null;
}

export interface TokenRecord {
  /** Lowercase hex SHA-256 of the token; the token itself is never stored. */
  readonly hash: string;
  readonly userId: string;
  readonly createdAt: Timestamp;
  readonly revokedAt: Timestamp | null;
}

export interface EnrollmentRecord {
  readonly userId: string;
  readonly fingerprints: Readonly<Partial<Record<ProviderId, StoredFingerprint>>>;
  /** Normalized custom endpoint base URL, when custom is enrolled. */
  readonly customBaseUrl: string | null;
  readonly customModel: string | null;
  readonly enrolledAt: Timestamp;
  readonly lastSeenAt: Timestamp;
}

export interface UserRepository {
  /** Inserts a user; `false` when the id is taken. */
  create(user: UserRecord): Promise<boolean>;
  get(id: string): Promise<UserRecord | null>;
  list(): Promise<UserRecord[]>;
  /** Marks a user revoked and revokes all their tokens; `false` when there is no such user. */
  revoke(id: string, at: Timestamp): Promise<boolean>;
}

export interface TokenRepository {
  add(token: TokenRecord): Promise<void>;
  findByHash(hash: string): Promise<TokenRecord | null>;
}

export interface EnrollmentRepository {
  get(userId: string): Promise<EnrollmentRecord | null>;
  /** Replaces the user's enrollment whole. */
  put(enrollment: EnrollmentRecord): Promise<void>;
  /** Renews `lastSeenAt`; `false` when there is no enrollment. */
  touch(userId: string, at: Timestamp): Promise<boolean>;
  /** Re-stores one fingerprint (pepper rotation) only if it still holds `previous`. */
  replaceFingerprint(
    userId: string,
    provider: ProviderId,
    previous: StoredFingerprint,
    next: StoredFingerprint,
  ): Promise<boolean>;
  delete(userId: string): Promise<boolean>;
}

export interface Store {
  readonly kind: string;
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  readonly enrollments: EnrollmentRepository;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
