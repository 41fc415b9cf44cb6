/**
 * @module EgressPolicyError: the start-up error for invalid egress options, listing every problem at once.
 */

export class EgressPolicyError extends Error {
  override readonly name = "EgressPolicyError";
  readonly code = "egress_policy_invalid";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid egress policy: ${problems.join("; ")}`);
    this.problems = Object.freeze([...problems]);
  }
}
