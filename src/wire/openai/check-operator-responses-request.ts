/**
 * @module wire/openai/check-operator-responses-request
 * What of a Responses request may run on the operator's OpenAI account: an allow list (message, function
 * call and encrypted reasoning items; inline text and images by URL; function tools) and the first field at
 * fault otherwise. Everything else reads or spends what that account holds (files, vector stores, stored
 * prompts and responses, containers, built-in tools, priority tiers) or is never metered as tokens.
 */

export type OperatorResponsesDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** `stateful_request_refused` for state stored upstream; `operator_account_refused` for the rest. */
      readonly code: "operator_account_refused" | "stateful_request_refused";
      readonly param: string;
      readonly message: string;
    };

export interface OperatorResponsesOptions {
  /** `responses.allowStatefulOnOperatorKeys`: stored responses, conversations and item references pass. */
  readonly allowStateful: boolean;
}

/** `include` values that only echo the call's own data (the spec's `IncludeEnum`, minus tool outputs). */
export const OPERATOR_SAFE_INCLUDES: readonly string[] = [
  "reasoning.encrypted_content",
  "message.output_text.logprobs",
  "message.input_image.image_url",
];

/** Service tiers billed at the standard price (`flex` and `priority` are priced apart from tokens metered). */
const SAFE_SERVICE_TIERS: readonly unknown[] = ["auto", "default"];

/**
 * The request fields of the published spec (`CreateResponse`); the ones that may touch the account are
 * checked below. A field outside it (a newer API's) is refused until it is known what it does there.
 */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  "background",
  "context_management",
  "conversation",
  "include",
  "input",
  "instructions",
  "max_output_tokens",
  "max_tool_calls",
  "metadata",
  "model",
  "moderation",
  "parallel_tool_calls",
  "previous_response_id",
  "prompt",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "reasoning",
  "safety_identifier",
  "service_tier",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "text",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "truncation",
  "user",
]);

/** Content parts of a message item; `input_image` by `image_url` only. */
const SAFE_PARTS: readonly string[] = ["input_text", "input_image", "output_text", "refusal"];

const OK: OperatorResponsesDecision = { ok: true };

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const absent = (value: unknown): boolean => value === undefined || value === null;

const refuse = (param: string, what: string): OperatorResponsesDecision => ({
  ok: false,
  code: "operator_account_refused",
  param,
  message: `${what} is refused on the operator's key (it would use or bill the operator's OpenAI account beyond metered tokens); use your own key.`,
});

const refuseStateful = (param: string, what: string): OperatorResponsesDecision => ({
  ok: false,
  code: "stateful_request_refused",
  param,
  message: `${what} is refused on the operator's key (what is stored there is shared by every user): send the conversation itself as \`input\` (with the AI SDK, \`store: false\`), or use your own key.`,
});

function checkParts(parts: unknown, param: string): OperatorResponsesDecision {
  if (typeof parts === "string" || absent(parts)) return OK;
  if (!Array.isArray(parts)) return refuse(param, `\`${param}\` that is neither text nor a list of parts`);
  for (const [index, part] of parts.entries()) {
    const at = `${param}[${index}]`;
    if (!isRecord(part)) return refuse(at, "A content part that is not an object");
    if (part.file_id !== undefined) return refuse(`${at}.file_id`, "A `file_id` (a file stored upstream)");
    if (typeof part.type !== "string" || !SAFE_PARTS.includes(part.type))
      return refuse(`${at}.type`, `Content part \`${String(part.type)}\``);
    if (part.type === "input_image" && typeof part.image_url !== "string")
      return refuse(`${at}.image_url`, "An `input_image` without `image_url`");
  }
  return OK;
}

function checkItem(
  item: unknown,
  param: string,
  options: OperatorResponsesOptions,
): OperatorResponsesDecision {
  if (!isRecord(item)) return refuse(param, "An input item that is not an object");
  switch (item.type ?? "message") {
    case "message":
      return checkParts(item.content, `${param}.content`);
    case "function_call":
      return OK;
    case "function_call_output":
      return checkParts(item.output, `${param}.output`);
    case "reasoning":
      // An empty `encrypted_content` beside an `id` would still name a stored item.
      if (
        (typeof item.encrypted_content === "string" && item.encrypted_content !== "") ||
        options.allowStateful
      )
        return OK;
      return refuseStateful(
        `${param}.encrypted_content`,
        "A `reasoning` item without `encrypted_content` (a reference to a stored item)",
      );
    case "item_reference":
      return options.allowStateful ? OK : refuseStateful(param, "An `item_reference` input item");
    default:
      return refuse(`${param}.type`, `Input item \`${String(item.type)}\``);
  }
}

function checkItems(
  items: unknown,
  name: string,
  options: OperatorResponsesOptions,
): OperatorResponsesDecision {
  if (!Array.isArray(items)) return OK;
  for (const [index, item] of items.entries()) {
    const decision = checkItem(item, `${name}[${index}]`, options);
    if (!decision.ok) return decision;
  }
  return OK;
}

function checkTools(body: Readonly<Record<string, unknown>>): OperatorResponsesDecision {
  if (!absent(body.tools)) {
    if (!Array.isArray(body.tools)) return refuse("tools", "`tools` that is not a list");
    for (const [index, tool] of body.tools.entries())
      if (!isRecord(tool) || tool.type !== "function")
        return refuse(
          `tools[${index}].type`,
          `Built-in tool \`${isRecord(tool) ? String(tool.type) : "?"}\` (run and billed on OpenAI's servers, never metered as tokens)`,
        );
  }
  const choice = body.tool_choice;
  if (absent(choice) || choice === "auto" || choice === "none" || choice === "required") return OK;
  if (isRecord(choice) && choice.type === "function") return OK;
  return refuse("tool_choice", '`tool_choice` other than `auto`, `none`, `required` or `{type: "function"}`');
}

function checkFields(
  body: Readonly<Record<string, unknown>>,
  options: OperatorResponsesOptions,
): OperatorResponsesDecision {
  if (!options.allowStateful) {
    if (!absent(body.previous_response_id))
      return refuseStateful("previous_response_id", "`previous_response_id`");
    if (!absent(body.conversation)) return refuseStateful("conversation", "`conversation`");
    if (body.store === true) return refuseStateful("store", "`store: true`");
  }
  const unknown = Object.keys(body).find((name) => !KNOWN_FIELDS.has(name));
  if (unknown !== undefined)
    return refuse(
      unknown === "" ? '""' : unknown,
      `\`${unknown}\` (a field the gateway does not know what it does on that account)`,
    );
  if (body.background === true)
    return refuse("background", "`background: true` (generation unmetered after the call)");
  if (!absent(body.prompt)) return refuse("prompt", "`prompt` (a prompt template stored upstream)");
  if (!absent(body.service_tier) && !SAFE_SERVICE_TIERS.includes(body.service_tier))
    return refuse("service_tier", `\`service_tier\` \`${String(body.service_tier)}\``);
  if (!absent(body.include)) {
    if (!Array.isArray(body.include)) return refuse("include", "`include` that is not a list");
    for (const [index, entry] of body.include.entries())
      if (typeof entry !== "string" || !OPERATOR_SAFE_INCLUDES.includes(entry))
        return refuse(`include[${index}]`, `\`include\` entry \`${String(entry)}\``);
  }
  return OK;
}

/**
 * The first part of `body` that may not run on the operator's account, or `ok`. Pure; never throws, whatever
 * JSON it is given (the request contract has checked the shapes already; this reads leniently).
 */
export function checkOperatorResponsesRequest(
  body: Readonly<Record<string, unknown>>,
  options: OperatorResponsesOptions,
): OperatorResponsesDecision {
  const fields = checkFields(body, options);
  if (!fields.ok) return fields;
  const tools = checkTools(body);
  if (!tools.ok) return tools;
  const instructions = checkItems(body.instructions, "instructions", options);
  if (!instructions.ok) return instructions;
  return checkItems(body.input, "input", options);
}
