/**
 * Secret hygiene check for a CLI run: the API key, the S3 secret and presigned-URL credentials must never reach
 * stdout, stderr or any file the CLI wrote in its state directory.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface SecretScanInput {
  stdout: string;
  stderr: string;
  /** Every file in it (recursively) is scanned, except those matched by `skipFiles`. */
  stateDir?: string;
  /** The values that must not appear: a list, or label → value for clearer failures. Empty values are ignored. */
  secrets: readonly (string | undefined)[] | Readonly<Record<string, string | undefined>>;
  /** Files the test wrote itself (env files hold the secrets on purpose). Default: `.env*` and `*.env`. */
  skipFiles?: (name: string) => boolean;
  /** More texts to scan, e.g. the state files' copies in the bucket. */
  extra?: readonly { where: string; text: string }[];
}

// A presigned URL's query is a bearer credential: any of these parameters with a real value is a leak, also when the
// URL is itself percent-encoded inside another one (`X-Amz-Signature%3D…`). `<redacted>` (the CLI's mask) is allowed.
const PRESIGN_PARAM =
  /X-Amz-(Signature|Credential|Security-Token)(?:=|%3D)(?!<redacted>|%3Credacted%3E|\*\*\*)([^&\s"'<>%]|%(?!26))+/gi;

/** Throws an Error naming where each leak is (never echoing the secret itself). */
export async function assertNoSecrets(input: SecretScanInput): Promise<void> {
  const secrets = labelled(input.secrets);
  const sources: { where: string; text: string }[] = [
    { where: "stdout", text: input.stdout },
    { where: "stderr", text: input.stderr },
    ...(input.extra ?? []),
  ];
  if (input.stateDir !== undefined) {
    const skip = input.skipFiles ?? ((name: string) => name.startsWith(".env") || name.endsWith(".env"));
    for (const file of await listFiles(input.stateDir)) {
      if (skip(path.basename(file))) continue;
      sources.push({ where: `state file ${path.relative(input.stateDir, file)}`, text: await readFile(file, "utf8") });
    }
  }
  const leaks: string[] = [];
  for (const { where, text } of sources) {
    text.split("\n").forEach((line, i) => {
      for (const [label, value] of secrets) {
        // As is, or percent-encoded as it would be inside a URL.
        if (line.includes(value) || line.includes(encodeURIComponent(value)))
          leaks.push(`${where} line ${i + 1} contains ${label}`);
      }
      for (const m of line.matchAll(PRESIGN_PARAM)) {
        leaks.push(`${where} line ${i + 1} contains a presigned X-Amz-${m[1] ?? "?"} value`);
      }
    });
  }
  if (leaks.length > 0) throw new Error(`secrets leaked:\n  ${leaks.join("\n  ")}`);
}

function labelled(secrets: SecretScanInput["secrets"]): [string, string][] {
  const entries: [string, string | undefined][] = isList(secrets)
    ? secrets.map((value, i) => [`secret #${i + 1}`, value])
    : Object.entries(secrets);
  return entries.filter((e): e is [string, string] => e[1] !== undefined && e[1] !== "");
}

function isList(s: SecretScanInput["secrets"]): s is readonly (string | undefined)[] {
  return Array.isArray(s);
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
