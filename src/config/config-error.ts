/**
 * @module config/config-error
 * A configuration that cannot start: every problem at once, each with the field's path.
 */

export interface ConfigIssue {
  /** Dotted path of the field, e.g. `server.port`; the env variable when it came from one. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}
