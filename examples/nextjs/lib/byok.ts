/**
 * @module examples/nextjs/lib/byok
 * One Byok for the app's route handlers (Next.js: the Node.js runtime, not the edge).
 */
import { createByok, loadConfig } from "byok-gateway";

export const byok = await createByok({ config: loadConfig() }); // BYOK_PEPPER, BYOK_DATA_DIR, … from the environment
