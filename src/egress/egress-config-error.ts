/**
 * @module EgressConfigError: the start-up error for invalid egress policy options or limits, listing
 * every problem at once.
 */

export class EgressConfigError extends Error {
  override readonly name = "EgressConfigError";
  readonly code = "egress_config_invalid";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid egress configuration: ${problems.join("; ")}`);
    this.problems = Object.freeze([...problems]);
  }
}
