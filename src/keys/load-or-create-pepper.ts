/**
 * @module keys/load-or-create-pepper
 * The embedded default's pepper: generated once into the data directory, readable by the owner only.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MIN_PEPPER_LENGTH } from "./pepper-ring.ts";
import { SecretKey } from "./secret-key.ts";

export const PEPPER_FILE_NAME = "pepper";

export function loadOrCreatePepper(dataDir: string): { pepper: SecretKey; created: boolean; path: string } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, PEPPER_FILE_NAME);
  try {
    const value = readFileSync(path, "utf8").trim();
    if (value.length < MIN_PEPPER_LENGTH)
      throw new Error(`${path} holds a pepper shorter than ${MIN_PEPPER_LENGTH} characters`);
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { pepper: new SecretKey(value), created: false, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const value = randomBytes(32).toString("base64url");
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: "wx" });
  return { pepper: new SecretKey(value), created: true, path };
}
