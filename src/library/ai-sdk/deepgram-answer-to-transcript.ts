/**
 * @module library/ai-sdk/deepgram-answer-to-transcript
 * Deepgram's prerecorded answer (read leniently) as the AI SDK's transcript: text, segments (utterances,
 * else paragraphs' sentences, else the whole span), words, detected language, duration.
 */
type Json = Readonly<Record<string, unknown>>;

export interface Timed {
  readonly text: string;
  readonly startSecond: number;
  readonly endSecond: number;
}

export interface Transcript {
  readonly text: string;
  readonly segments: Timed[];
  readonly words: Timed[];
  readonly language: string | undefined;
  readonly durationInSeconds: number | undefined;
}

function recordOf(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function seconds(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

function timed(item: unknown, textField: string): Timed | null {
  const record = recordOf(item);
  const text = record[textField];
  const start = seconds(record.start);
  const end = seconds(record.end);
  return typeof text === "string" && start !== null && end !== null
    ? { text, startSecond: start, endSecond: end }
    : null;
}

function present<T>(values: ReadonlyArray<T | null>): T[] {
  return values.filter((value): value is T => value !== null);
}

export function deepgramAnswerToTranscript(parsed: unknown): Transcript | null {
  const results = recordOf(recordOf(parsed).results);
  const channel = recordOf(listOf(results.channels)[0]);
  const alternative = recordOf(listOf(channel.alternatives)[0]);
  if (typeof alternative.transcript !== "string") return null;
  const words = present(
    listOf(alternative.words).map((word) => {
      const record = recordOf(word);
      return timed(word, typeof record.punctuated_word === "string" ? "punctuated_word" : "word");
    }),
  );
  let segments = present(listOf(results.utterances).map((utterance) => timed(utterance, "transcript")));
  if (segments.length === 0) {
    const paragraphs = listOf(recordOf(alternative.paragraphs).paragraphs);
    segments = present(
      paragraphs.flatMap((paragraph) => listOf(recordOf(paragraph).sentences)).map((s) => timed(s, "text")),
    );
  }
  const first = words[0];
  const last = words.at(-1);
  if (segments.length === 0 && first !== undefined && last !== undefined) {
    segments = [{ text: alternative.transcript, startSecond: first.startSecond, endSecond: last.endSecond }];
  }
  const language = channel.detected_language;
  const duration = seconds(recordOf(recordOf(parsed).metadata).duration);
  return {
    text: alternative.transcript,
    segments,
    words,
    language: typeof language === "string" ? language : undefined,
    durationInSeconds: duration ?? undefined,
  };
}
