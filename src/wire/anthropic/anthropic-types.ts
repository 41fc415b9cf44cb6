/**
 * @module wire/anthropic/anthropic-types
 * The Anthropic Messages API (2023-06-01) shapes the gateway writes: request bodies, messages, stream events.
 */

export interface AnthropicCacheControl {
  readonly type: "ephemeral";
}

export interface AnthropicTextBlock {
  readonly type: "text";
  readonly text: string;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicImageSource =
  | { readonly type: "base64"; readonly media_type: string; readonly data: string }
  | { readonly type: "url"; readonly url: string };

export interface AnthropicImageBlock {
  readonly type: "image";
  readonly source: AnthropicImageSource;
}

export interface AnthropicDocumentBlock {
  readonly type: "document";
  readonly source: { readonly type: "base64"; readonly media_type: string; readonly data: string };
  readonly title?: string;
}

export interface AnthropicToolUseBlock {
  readonly type: "tool_use";
  readonly id: string;
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface AnthropicToolResultBlock {
  readonly type: "tool_result";
  readonly tool_use_id: string;
  readonly content: string | ReadonlyArray<AnthropicTextBlock | AnthropicImageBlock>;
  readonly is_error?: boolean;
}

export interface AnthropicThinkingBlock {
  readonly type: "thinking";
  readonly thinking: string;
  readonly signature: string;
}

export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock;

export interface AnthropicMessageParam {
  readonly role: "user" | "assistant";
  readonly content: AnthropicRequestBlock[];
}

export interface AnthropicTool {
  readonly name: string;
  readonly description?: string;
  readonly input_schema: Readonly<Record<string, unknown>>;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicToolChoice =
  | { readonly type: "auto" | "any"; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: "tool"; readonly name: string; readonly disable_parallel_tool_use?: boolean }
  | { readonly type: "none" };

export interface AnthropicMessagesRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: AnthropicTextBlock[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  /** Extended thinking, passed through as given (an Anthropic-native route parameter). */
  thinking?: unknown;
  metadata?: { user_id: string };
  stream?: boolean;
}

/** Why a message ended; Anthropic may add values, so readers treat unknown strings leniently. */
export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type AnthropicResponseBlock = AnthropicTextBlock | AnthropicToolUseBlock | AnthropicThinkingBlock;

export interface AnthropicMessage {
  readonly id: string;
  readonly type: "message";
  readonly role: "assistant";
  readonly model: string;
  readonly content: AnthropicResponseBlock[];
  readonly stop_reason: AnthropicStopReason | null;
  readonly stop_sequence: string | null;
  readonly usage: AnthropicUsage;
}

/** One server-sent event of a Messages stream: `event:` equals `data.type`. */
export interface AnthropicStreamEvent {
  readonly event: string;
  readonly data: { readonly type: string; readonly [field: string]: unknown };
}
