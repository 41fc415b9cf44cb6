#!/usr/bin/env node
/**
 * @module main
 * Process entry of the `byok-gateway` command.
 */
import { runCli } from "./cli/run-cli.ts";

process.exitCode = await runCli(process.argv.slice(2));
