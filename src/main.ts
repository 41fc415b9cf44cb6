#!/usr/bin/env node
/**
 * @module main
 * Process entry of the `byok-gateway` command: the runtime defaults first (a re-exec for `serve`), then the CLI.
 */
import { applyRuntimeDefaults } from "./cli/apply-runtime-defaults.ts";

applyRuntimeDefaults(process.argv.slice(2));
const { runCli } = await import("./cli/run-cli.ts");
process.exitCode = await runCli(process.argv.slice(2));
