export {
  type ByokContext,
  type DropReason,
  formatByokStatus,
  formatRejectedStatus,
  noByokContext,
} from "./byok-context.ts";
export {
  ByokRejectedError,
  type ByokValidator,
  type ByokValidatorOptions,
  createByokValidator,
} from "./create-byok-validator.ts";
export {
  type ByokDecision,
  type ByokRejection,
  type PepperUpgrade,
  type ValidateByokInput,
  validateByok,
} from "./validate-byok.ts";
