/**
 * @module wire/anthropic/encode-sse-event
 * Writes one server-sent event: an optional `event:` line, the data (one `data:` line per line), a blank line.
 */

export function encodeSseEvent(data: string, event?: string): string {
  const head = event === undefined ? "" : `event: ${event}\n`;
  if (!data.includes("\n") && !data.includes("\r")) return `${head}data: ${data}\n\n`;
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`);
  return `${head}${lines.join("\n")}\n\n`;
}
