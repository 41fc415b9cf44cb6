/**
 * @module library/create-configured-pepper-ring
 * The pepper ring from configuration, or (none configured) from the pepper the embedded default keeps in
 * its data directory, generated on first start.
 */
import { loadOrCreatePepper } from "../keys/load-or-create-pepper.ts";
import { createPepperRing, type PepperRing } from "../keys/pepper-ring.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { Logger } from "../telemetry/create-logger.ts";

export function createConfiguredPepperRing(
  peppers: readonly SecretKey[] | undefined,
  dataDir: string,
  logger: Logger,
): PepperRing {
  if (peppers !== undefined) return createPepperRing(peppers);
  const generated = loadOrCreatePepper(dataDir);
  if (generated.created) logger.info({ path: generated.path }, "generated a new pepper (owner-only file)");
  return createPepperRing([generated.pepper]);
}
