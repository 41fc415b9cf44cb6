/**
 * @module A throwaway certificate authority made with openssl at test time in a temp dir: one CA and
 * leaf certificates for the names a test asks for. Trusted only through the dispatcher's `ca` limit.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TlsIdentity } from "./loopback-server.ts";

export interface ThrowawayCa {
  readonly caCert: string;
  /** Issues a leaf certificate whose only subjectAltName is `DNS:name`. */
  issue(name: string): TlsIdentity;
  dispose(): void;
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function createThrowawayCa(): ThrowawayCa {
  const dir = mkdtempSync(join(tmpdir(), "egress-ca-"));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=egress throwaway CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  let serial = 1;
  return {
    caCert: readFileSync(file("ca.crt"), "utf8"),
    issue(name) {
      const id = `leaf-${serial++}`;
      writeFileSync(
        file(`${id}.ext`),
        `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      );
      openssl("req", ...ecKey, "-keyout", `${id}.key`, "-out", `${id}.csr`, "-subj", `/CN=${name}`);
      openssl(
        "x509",
        "-req",
        "-in",
        `${id}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        String(serial),
        "-out",
        `${id}.crt`,
        "-days",
        "1",
        "-extfile",
        `${id}.ext`,
      );
      return { key: readFileSync(file(`${id}.key`), "utf8"), cert: readFileSync(file(`${id}.crt`), "utf8") };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
