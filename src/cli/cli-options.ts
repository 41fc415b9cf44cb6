/**
 * @module cli/cli-options
 * The `byok-gateway` command's options (node:util `parseArgs` form), shared by the command and by the
 * start path's check of which command runs (`apply-runtime-defaults.ts`), which must not load the rest.
 */
export const CLI_OPTIONS = {
  config: { type: "string" },
  plan: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  bucket: { type: "string" },
  workers: { type: "string" },
  stdin: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;
