/**
 * A private certificate authority made at test time with the `openssl` CLI (no network, nothing checked in): a CA,
 * a server certificate for 127.0.0.1 and localhost signed by it, and one signed by it for another name only (to
 * provoke a hostname mismatch). ECDSA P-256 keys, valid from now for two days.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { rootCertificates } from "node:tls";
import { promisify } from "node:util";
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from "undici";
import { makeTempDir } from "./tmp.js";

const run = promisify(execFile);

/** A PEM key and certificate, as node:tls and node:https take them. */
export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestPki {
  /** The CA certificate (PEM): what NODE_EXTRA_CA_CERTS points at, or what a client is given as `ca`. */
  ca: string;
  /** The file holding `ca`. */
  caFile: string;
  /** Signed by the CA for IP 127.0.0.1 and DNS localhost. */
  server: KeyPair;
  /** Signed by the CA for `wrong-host.invalid` only: every loopback client sees a hostname mismatch. */
  wrongName: KeyPair;
  /** Removes the directory with the keys. */
  cleanup(): Promise<void>;
}

async function openssl(cwd: string, args: readonly string[]): Promise<void> {
  try {
    await run("openssl", [...args], { cwd });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ENOENT") throw new Error("the TLS tests need the openssl CLI on PATH (e.g. apt-get install openssl)");
    const stderr = (err as { stderr?: unknown }).stderr;
    throw new Error(`openssl ${args[0] ?? ""} failed: ${typeof stderr === "string" ? stderr.trim() : String(err)}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Issues a leaf certificate for `altNames` (an openssl subjectAltName value) signed by the CA in `dir`. */
async function issue(dir: string, name: string, commonName: string, altNames: string): Promise<KeyPair> {
  const ext = path.join(dir, `${name}.ext`);
  await writeFile(
    ext,
    [
      `subjectAltName=${altNames}`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  await openssl(dir, [
    "req",
    "-new",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${commonName}`,
  ]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-days",
    "2",
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-extfile",
    ext,
    "-out",
    `${name}.pem`,
  ]);
  return {
    key: await readFile(path.join(dir, `${name}.key`), "utf8"),
    cert: await readFile(path.join(dir, `${name}.pem`), "utf8"),
  };
}

/** Creates a fresh CA and its server certificates in a temp dir (removed by `cleanup`). */
export async function createTestPki(label = "tls"): Promise<TestPki> {
  const tmp = await makeTempDir(`pki-${label}`);
  const dir = tmp.dir;
  try {
    await openssl(dir, [
      "req",
      "-x509",
      ...EC,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      `/CN=qdrant-backup-restore test CA ${label}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    const server = await issue(dir, "server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost");
    const wrongName = await issue(dir, "wrong-name", "wrong-host.invalid", "DNS:wrong-host.invalid");
    const caFile = path.join(dir, "ca.pem");
    return { ca: await readFile(caFile, "utf8"), caFile, server, wrongName, cleanup: tmp.cleanup };
  } catch (err) {
    await tmp.cleanup();
    throw err;
  }
}

/**
 * Runs `fn` with the global fetch trusting `ca` too (the seed helpers use fetch), then puts the previous dispatcher
 * back. Process-wide while it runs: call it only where nothing else in the worker is fetching (a beforeAll, a test).
 */
export async function withTrustedCa<T>(ca: string, fn: () => Promise<T>): Promise<T> {
  const previous = getGlobalDispatcher();
  const agent = new Agent({ connect: { ca: [...rootCertificates, ca] } });
  setGlobalDispatcher(agent);
  try {
    return await fn();
  } finally {
    setGlobalDispatcher(previous);
    await agent.close();
  }
}
