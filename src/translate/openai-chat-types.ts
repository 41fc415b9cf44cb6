/**
 * @module translate/openai-chat-types
 * The OpenAI Chat Completions shapes the translators write (a `chat.completion`, a `chat.completion.chunk`,
 * usage); the fields follow OpenAI's published schema. `reasoning_content` is the de facto extension
 * (DeepSeek, vLLM, LiteLLM) that carries Anthropic thinking text.
 */

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number };
}

export interface OpenAiToolCall {
  readonly id: string;
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
}

export type OpenAiFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export interface OpenAiChatCompletion {
  readonly id: string;
  readonly object: "chat.completion";
  readonly created: number;
  readonly model: string;
  readonly choices: [
    {
      readonly index: 0;
      readonly message: {
        readonly role: "assistant";
        readonly content: string | null;
        readonly refusal: null;
        readonly tool_calls?: OpenAiToolCall[];
        readonly reasoning_content?: string;
      };
      readonly logprobs: null;
      readonly finish_reason: OpenAiFinishReason;
    },
  ];
  readonly usage: OpenAiUsage;
}

export interface OpenAiToolCallDelta {
  readonly index: number;
  readonly id?: string;
  readonly type?: "function";
  readonly function: { readonly name?: string; readonly arguments: string };
}

export interface OpenAiChunkDelta {
  readonly role?: "assistant";
  readonly content?: string;
  readonly reasoning_content?: string;
  readonly tool_calls?: OpenAiToolCallDelta[];
}

export interface OpenAiChatCompletionChunk {
  readonly id: string;
  readonly object: "chat.completion.chunk";
  readonly created: number;
  readonly model: string;
  readonly choices: Array<{
    readonly index: 0;
    readonly delta: OpenAiChunkDelta;
    readonly logprobs: null;
    readonly finish_reason: OpenAiFinishReason | null;
  }>;
  /** Present (null, then the totals on the last chunk) only when the client asked for `include_usage`. */
  readonly usage?: OpenAiUsage | null;
}
