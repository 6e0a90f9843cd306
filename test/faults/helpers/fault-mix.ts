/**
 * The fault mix of the fault suite, seeded: on every route of every emulator node a share of 503s, of connection
 * resets and of slow bodies; on the local S3 server a share of 500/503 (throttling: SlowDown) for one bucket.
 * And what a round trip must leave behind: the targets hold the sources' points and aliases.
 */
import { expect } from "vitest";
import type { Emulator, RequestLogEntry } from "../../support/emulator/index.js";
import { listAliases, readAllPoints, type AliasRecord } from "../../support/emulator/seed.js";
import { clearS3Faults, setS3Faults } from "../../support/s3/fault-admin.js";
import { canInjectS3Faults } from "../../support/s3/impl.js";

/** Shares of requests that fail or crawl; 0.05 each, as the issue asks. */
export const QDRANT_FAULT_RATES = { status503: 0.05, reset: 0.05, slowBody: 0.1 } as const;
/** How long a slow body takes to trickle out, in ms. */
export const SLOW_BODY_MS = 40;
export const S3_FAULT_RATE = 0.05;

/**
 * Installs the Qdrant fault mix on every node of `emu` (rules on every node and route); `seed` makes it reproducible
 * for a given request order. Returns a remover.
 */
export function injectQdrantFaults(emu: Emulator, seed: number): () => void {
  const removers = [
    emu.faults.add({ rate: QDRANT_FAULT_RATES.status503, seed, status: 503, error: "Service Unavailable: injected" }),
    emu.faults.add({ rate: QDRANT_FAULT_RATES.reset, seed: seed + 1, reset: true }),
    emu.faults.add({ rate: QDRANT_FAULT_RATES.slowBody, seed: seed + 2, slowBodyMs: SLOW_BODY_MS }),
  ];
  return () => removers.forEach((remove) => remove());
}

/** Whether the mix includes S3 faults: on the fake, yes; on the gateway, which cannot inject them, no. */
export const S3_FAULTS_IN_MIX = canInjectS3Faults;

/**
 * 500s and SlowDown 503s on `bucket`, for every operation and every client (the tool's and the nodes'); nothing on a
 * server without fault injection (S3_FAULTS_IN_MIX false).
 */
export async function injectS3Faults(
  endpoint: string,
  bucket: string,
  seed: number,
  operations?: string[],
): Promise<void> {
  if (!S3_FAULTS_IN_MIX) return;
  await setS3Faults(endpoint, {
    bucket,
    rate: S3_FAULT_RATE,
    statuses: [500, 503],
    slowDown: true,
    seed,
    ...(operations ? { operations } : {}),
  });
}

export async function clearBucketFaults(endpoint: string, bucket: string): Promise<void> {
  if (!S3_FAULTS_IN_MIX) return;
  await clearS3Faults(endpoint, bucket);
}

/** Requests of the log that a fault answered: status 503 (ours) or 0 (reset). */
export function faulted(log: readonly RequestLogEntry[]): { status503: number; reset: number } {
  return { status503: log.filter((r) => r.status === 503).length, reset: log.filter((r) => r.status === 0).length };
}

/**
 * Every target holds each collection's points exactly as its source does, and the sources' aliases.
 * `home` maps each collection to the URL of the source that holds it. Call with the faults removed.
 */
export async function expectTargetsEqualSources(
  sources: readonly string[],
  targets: readonly string[],
  home: Readonly<Record<string, string>>,
  apiKey: string,
): Promise<void> {
  const aliases: AliasRecord[] = [];
  for (const url of sources) aliases.push(...(await listAliases(url, apiKey)));
  aliases.sort((a, b) => (a.alias_name < b.alias_name ? -1 : a.alias_name > b.alias_name ? 1 : 0));
  expect(aliases.length).toBeGreaterThan(0);
  for (const target of targets) {
    for (const [collection, source] of Object.entries(home)) {
      const want = await readAllPoints(source, collection, apiKey);
      expect(want.length).toBeGreaterThan(0);
      expect(await readAllPoints(target, collection, apiKey), `${collection} on ${target}`).toEqual(want);
    }
    expect(await listAliases(target, apiKey), `aliases on ${target}`).toEqual(aliases);
  }
}

/** Retries the CLI logged (`retry N of M`), per call kind: `METHOD /route` with names replaced by `{c}`/`{s}`. */
export function retriesByKind(stderr: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of stderr.split("\n")) {
    const m =
      /WARNING: (?:transfer \S+ \S+ → \S+ failed \()?(GET|POST|PUT|PATCH|DELETE) https?:\/\/[^/\s]+(\/[^?\s:]*)[^;]*; (upload )?retry \d+ of/.exec(
        line,
      );
    if (!m) continue;
    const route = (m[2] ?? "")
      .replace(/^\/collections\/(?!aliases)[^/]+/, "/collections/{c}")
      .replace(/\/snapshots\/(?!recover$|upload$)[^/]+$/, "/snapshots/{s}");
    const k = `${m[1]} ${route}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** With FAULT_SUITE_REPORT=1, prints the retries per call kind (the numbers RELIABILITY.md quotes). */
export function reportRetries(label: string, stderr: string): void {
  if (process.env["FAULT_SUITE_REPORT"] === "1") console.log(`${label}: ${JSON.stringify(retriesByKind(stderr))}`);
}
