/**
 * @module library/create-byok-admin
 * The operator's operations as typed library calls (`byok.admin`): users, their tokens, plans and usage,
 * the same checks and effects as the gateway's `/admin/*` API.
 */
import type { UserAdmin } from "../auth/create-user-admin.ts";
import type { GatewayConfig } from "../config/config-schema.ts";
import type { PlanConfig } from "../config/plan-schema.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import type { UsageReport } from "../metering/create-usage-report.ts";
import type { Store, UsageSeriesRow, UserRecord } from "../store/store-types.ts";

/** A gateway user; times in ms since the epoch. */
export type AdminUser = UserRecord;

/** A gateway token, shown once: give it to the user's app, it is stored only as a hash. */
export interface IssuedToken {
  readonly id: string;
  readonly token: string;
}

export interface CreateUserInput {
  /** 1-128 characters of letters, digits and . _ : @ - (your app's user id). */
  readonly id: string;
  /** A configured plan's name; null or omitted: the default plan. */
  readonly plan?: string | null;
}

export interface PlanSummary extends PlanConfig {
  readonly name: string;
  /** True for `defaultPlan`, the plan of users who have none. */
  readonly isDefault: boolean;
}

export interface UsageOverTimeQuery {
  /** One user's usage; everyone's when omitted. */
  readonly userId?: string;
  /** ms since the epoch, `from` before `to`. */
  readonly from: number;
  readonly to: number;
  readonly bucket: "hour" | "day";
}

export interface ByokAdmin {
  readonly users: {
    /** Creates a user on a plan and issues their first token; 409 `user_exists` when the id is taken. */
    create(input: CreateUserInput): Promise<IssuedToken>;
    list(): Promise<AdminUser[]>;
    /** The user (revoked ones too), or null. */
    get(id: string): Promise<AdminUser | null>;
    /** Revokes the user and all their tokens and deletes their enrollment, on every replica at once. */
    revoke(id: string): Promise<void>;
    /** Puts the user on a configured plan (null: the default plan); their next request sees it. */
    setPlan(id: string, plan: string | null): Promise<void>;
  };
  readonly tokens: {
    /** One more token for an existing, unrevoked user (`user_not_found` otherwise). */
    issue(userId: string): Promise<IssuedToken>;
  };
  readonly plans: {
    list(): readonly PlanSummary[];
  };
  readonly usage: {
    /** The user's limits this period and this month's usage, as `GET /v1/usage` shows it to them. */
    report(userId: string): Promise<UsageReport>;
    /** Usage per hour or day split BYOK/operator, for one user or everyone. */
    overTime(query: UsageOverTimeQuery): Promise<{ readonly data: readonly UsageSeriesRow[] }>;
  };
}

export interface ByokAdminOptions {
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly users: UserAdmin;
  readonly report: (userId: string, plan: string | null) => Promise<UsageReport>;
  /** Writes the queued usage records, so usage over time includes the latest calls. */
  readonly flush: () => Promise<void>;
}

function checkRange(query: UsageOverTimeQuery): void {
  for (const name of ["from", "to"] as const) {
    if (!Number.isFinite(query[name])) {
      throw new GatewayError("invalid_request", {
        message: `\`${name}\` must be a time in ms.`,
        param: name,
      });
    }
  }
  if (query.from >= query.to)
    throw new GatewayError("invalid_request", { message: "`from` must be before `to`.", param: "from" });
  if (query.bucket !== "hour" && query.bucket !== "day")
    throw new GatewayError("invalid_request", { message: "`bucket` is `day` or `hour`.", param: "bucket" });
}

export function createByokAdmin(options: ByokAdminOptions): ByokAdmin {
  const { config, store, users } = options;
  const plans: readonly PlanSummary[] = Object.freeze(
    Object.entries(config.plans).map(([name, plan]) =>
      Object.freeze({ ...plan, name, isDefault: name === config.defaultPlan }),
    ),
  );
  return Object.freeze({
    users: Object.freeze({
      create: (input: CreateUserInput) => users.addUser(input.id, input.plan ?? null),
      list: () => users.listUsers(),
      get: (id: string) => store.users.get(id),
      revoke: (id: string) => users.revokeUser(id),
      setPlan: (id: string, plan: string | null) => users.setPlan(id, plan),
    }),
    tokens: Object.freeze({ issue: (userId: string) => users.issueToken(userId) }),
    plans: Object.freeze({ list: () => plans }),
    usage: Object.freeze({
      async report(userId: string) {
        const user = await store.users.get(userId);
        if (user === null) throw new GatewayError("user_not_found");
        return options.report(user.id, user.plan);
      },
      async overTime(query: UsageOverTimeQuery) {
        checkRange(query);
        await options.flush();
        return { data: await store.usage.series(query) };
      },
    }),
  });
}
