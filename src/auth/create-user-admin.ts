/**
 * @module auth/create-user-admin
 * Gateway users and their tokens, for the CLI and the admin API: add, issue, list, revoke.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { InvalidationBus } from "../store/invalidation-bus.ts";
import type { Store, UserRecord } from "../store/store-types.ts";
import { createGatewayToken } from "./gateway-tokens.ts";
import { isUserId } from "./principal.ts";

export interface UserAdmin {
  /** Creates a user and returns their first token (shown once). */
  addUser(id: string, plan: string | null): Promise<{ id: string; token: string }>;
  /** Issues one more token for an existing, unrevoked user. */
  issueToken(id: string): Promise<{ id: string; token: string }>;
  listUsers(): Promise<UserRecord[]>;
  /** Revokes the user and every token they hold, at once on every replica. */
  revokeUser(id: string): Promise<void>;
  /** Puts a user on a plan (null: the default plan); their next request sees it. */
  setPlan(id: string, plan: string | null): Promise<void>;
}

export interface UserAdminOptions {
  readonly store: Store;
  readonly bus: InvalidationBus;
  readonly now?: () => number;
  /** Plans the configuration declares; when given (non-empty), any other plan name is refused. */
  readonly plans?: readonly string[];
}

function checkId(id: unknown): asserts id is string {
  if (!isUserId(id)) {
    throw new GatewayError("invalid_request", {
      message: "`id` must be 1-128 characters of letters, digits and . _ : @ -",
      param: "id",
    });
  }
}

function checkPlan(plan: unknown): asserts plan is string | null {
  if (plan !== null && (typeof plan !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(plan))) {
    throw new GatewayError("invalid_request", {
      message: "`plan` must be 1-64 characters of letters, digits and . _ -",
      param: "plan",
    });
  }
}

export function createUserAdmin(options: UserAdminOptions): UserAdmin {
  const { store, bus } = options;
  const now = options.now ?? Date.now;
  const plans = options.plans ?? [];
  const checkKnownPlan = (plan: string | null) => {
    if (plan !== null && plans.length > 0 && !plans.includes(plan)) {
      throw new GatewayError("invalid_request", {
        message: `No plan named "${plan}"; the configured plans are: ${plans.join(", ")}.`,
        param: "plan",
      });
    }
  };

  const issue = async (userId: string) => {
    const { token, hash } = createGatewayToken();
    await store.tokens.add({ hash, userId, createdAt: now(), revokedAt: null });
    return { id: userId, token };
  };

  return {
    async addUser(id, plan) {
      checkId(id);
      checkPlan(plan);
      checkKnownPlan(plan);
      const created = await store.users.create({ id, plan, createdAt: now(), revokedAt: null });
      if (!created) throw new GatewayError("user_exists", { param: "id" });
      return issue(id);
    },
    async issueToken(id) {
      checkId(id);
      const user = await store.users.get(id);
      if (!user || user.revokedAt !== null) throw new GatewayError("user_not_found");
      return issue(id);
    },
    listUsers: () => store.users.list(),
    async setPlan(id, plan) {
      checkId(id);
      checkPlan(plan);
      checkKnownPlan(plan);
      if (!(await store.users.setPlan(id, plan))) throw new GatewayError("user_not_found");
      await bus.publish({ topic: "user", userId: id }); // cached principals carry the plan
    },
    async revokeUser(id) {
      checkId(id);
      if (!(await store.users.revoke(id, now()))) throw new GatewayError("user_not_found");
      await store.enrollments.delete(id);
      await bus.publish({ topic: "user", userId: id, cut: "user_revoked" });
      await bus.publish({ topic: "enrollment", userId: id });
    },
  };
}
