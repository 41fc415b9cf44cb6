/**
 * @module bench/profile-areas
 * Where a profiled frame's source belongs, for the bench's profile summaries (CPU and allocation): a gateway
 * folder, a package, or a Node internal module; and a short name for its file.
 */

const PACKAGE_AREAS: readonly (readonly [RegExp, string])[] = [
  [
    /node_modules\/(fastify|find-my-way|avvio|light-my-request|fast-json-stringify|@fastify|fast-querystring|process-warning|abstract-logging|toad-cache)\//,
    "http: fastify",
  ],
  [/node_modules\/undici\//, "egress: undici"],
  [
    /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|on-exit-leak-free|safe-stable-stringify)\//,
    "telemetry: pino",
  ],
  [/node_modules\/prom-client\//, "telemetry: prom-client"],
  [/node_modules\/lru-cache\//, "lru-cache"],
  [/node_modules\/zod\//, "zod"],
  [/node_modules\/([^/]+)\//, "other packages"],
];

/** The area a frame with a URL belongs to: a gateway folder, a package, or a Node internal module. */
export function areaOfUrl(url: string): string {
  const own = /\/(?:dist|src)\/([a-z-]+)\//.exec(url);
  if (own && !url.includes("node_modules")) return `gateway: ${own[1]}`;
  for (const [pattern, area] of PACKAGE_AREAS) if (pattern.test(url)) return area;
  if (url.startsWith("node:internal/http") || url.startsWith("node:_http") || url.startsWith("node:http"))
    return "node: http";
  if (url.startsWith("node:internal/streams") || url.startsWith("node:stream")) return "node: streams";
  if (url.startsWith("node:net") || url.includes("stream_base") || url.startsWith("node:internal/net"))
    return "node: net";
  if (url.startsWith("node:internal/process/task_queues") || url.includes("timers"))
    return "node: timers/ticks";
  if (url.includes("crypto")) return "node: crypto";
  if (url.includes("/modules/") || url.includes("bootstrap")) return "node: module loading";
  if (url === "node:events" || url.includes("event_target") || url.includes("abort_controller"))
    return "node: events, abort signals";
  if (url.startsWith("node:")) return "node: other";
  return "other";
}

export function shortUrl(url: string): string {
  const own = /\/(?:dist|src)\/(.+)$/.exec(url);
  if (own && !url.includes("node_modules")) return own[1]!;
  const pkg = /node_modules\/(.+)$/.exec(url);
  return pkg ? pkg[1]! : url || "(native)";
}
