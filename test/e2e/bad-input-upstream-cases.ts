// The bad-input cases that reach a server: malformed Qdrant answers (through the answer-rewriting proxy or an emulator
// fault), S3 errors from the local S3 server, and names no request can carry. Same shape as bad-input-cases.ts.
import { expect } from "vitest";
import { MANGLE } from "../support/emulator/answer-rewriter.js";
import { full, hosts, re, type Case, type Ctx } from "./bad-input-cases.js";
import { readStateText, type Env } from "./harness.js";

/** The proxy as the only source host, no retries (the answers are not transient). */
const viaProxy = (c: Ctx): Env => ({ ...hosts(c), QDRANT_SOURCE_HOSTS: c.proxy, QDRANT_RETRIES: "0" });
const RECOVER = /^\/collections\/[^/]+\/snapshots\/recover$/;

/**
 * A CLI process whose clock runs two hours slow (Date and Date.now shifted), as on a host whose NTP is broken. Given
 * to node through NODE_OPTIONS as a data: URL module, so nothing of it lives on disk.
 */
const SLOW_CLOCK = encodeURIComponent(
  "const D=Date,o=-7200000;class S extends D{constructor(...a){if(a.length===0)super(D.now()+o);else super(...a)}static now(){return D.now()+o}}globalThis.Date=S;",
);

export const UPSTREAM_CASES: Case[] = [
  // Malformed Qdrant answers: a 200 whose body is not what Qdrant sends.
  {
    name: "Qdrant answers truncated JSON",
    args: ["get_coll"],
    env: viaProxy,
    code: 4,
    arrange: (t) => t.answers.set((r, a) => (r.path === "/collections" ? MANGLE.truncate(a) : undefined)),
    culprit: (c) =>
      new RegExp(`GET ${re(c.proxy)}/collections: 200 answered with a non-JSON body \\(application/json\\)`),
  },
  {
    name: "Qdrant answers a string where the collection list belongs",
    args: ["get_coll"],
    env: viaProxy,
    code: 4,
    arrange: (t) =>
      t.answers.set((r, a) => (r.path === "/collections" ? MANGLE.result({ collections: "docs" })(a) : undefined)),
    culprit: (c) =>
      new RegExp(`GET ${re(c.proxy)}/collections: 200 unexpected answer: field "collections" is not an array`),
  },
  {
    name: "Qdrant answers an envelope without result",
    args: ["get_colla"],
    env: viaProxy,
    code: 4,
    arrange: (t) => t.answers.set((r, a) => (r.path === "/aliases" ? MANGLE.dropResult(a) : undefined)),
    culprit: (c) => new RegExp(`GET ${re(c.proxy)}/aliases: 200 unexpected envelope`),
  },
  {
    name: "an ingress answering an HTML page with 200",
    args: ["get_colla"],
    env: (c) => ({ ...hosts(c), QDRANT_RETRIES: "0" }),
    code: 4,
    arrange: (t) => void t.emu.faults.add({ method: "GET", path: "/aliases", html: true, status: 200 }),
    culprit: (c) => new RegExp(`GET ${re(c.url)}/aliases: 200 .*non-JSON body \\(text/html\\)`),
  },
  {
    name: "a snapshot creation answered with a number as the snapshot name",
    args: ["create_snap"],
    env: viaProxy,
    code: 3,
    bucketMayChange: true,
    files: (c) => ({ collections: `${c.proxy},docs\n` }),
    arrange: (t) =>
      t.answers.set((r, a) =>
        r.method === "POST" && r.path === "/collections/docs/snapshots" ? MANGLE.result({ name: 42 })(a) : undefined,
      ),
    stdout: /^\[create_snap\] Snapshots created: 0, accepted: 0, failed: 1\n$/,
    culprit: (c) =>
      new RegExp(
        `Snapshot of docs on ${re(c.proxy)} failed: POST ${re(c.proxy)}/collections/docs/snapshots.* 200 unexpected answer: field "name" is not a string`,
      ),
    // Nothing is recorded for a snapshot whose name is unknown.
    after: async (dir) => expect(await readStateText(dir, "snapshots")).toBeUndefined(),
  },
  {
    name: "a snapshot creation answered with truncated JSON",
    args: ["create_snap"],
    env: viaProxy,
    code: 3,
    bucketMayChange: true,
    files: (c) => ({ collections: `${c.proxy},docs\n` }),
    arrange: (t) =>
      t.answers.set((r, a) =>
        r.method === "POST" && r.path === "/collections/docs/snapshots" ? MANGLE.truncate(a) : undefined,
      ),
    stdout: /^\[create_snap\] Snapshots created: 0, accepted: 0, failed: 1\n$/,
    culprit: (c) =>
      new RegExp(
        `Snapshot of docs on ${re(c.proxy)} failed: POST ${re(c.proxy)}/collections/docs/snapshots.* 200 answered with a non-JSON body`,
      ),
    after: async (dir) => expect(await readStateText(dir, "snapshots")).toBeUndefined(),
  },

  // S3 errors.
  {
    name: "an unknown S3 access key",
    args: ["get_snap_s3"],
    env: (c) => ({ ...full(c), QDRANT_S3_ACCESS_KEY_ID: "AKIDUNKNOWN0000" }),
    code: 4,
    culprit: (c) => new RegExp(`S3 listing s3://${c.bucket}/.*InvalidAccessKeyId`),
  },
  {
    name: "a presigned URL that expired before the restore host fetched it (AccessDenied)",
    args: ["recover_snap"],
    code: 3,
    // The link lives 1 s; the restore host starts downloading 2.5 s after the request.
    env: (c) => ({ ...full(c), QDRANT_S3_LINK_EXPIRY_DURATION: "1" }),
    arrange: (t) => void t.emu.faults.add({ method: "PUT", path: RECOVER, latencyMs: 2_500 }),
    files: (c) => ({ snapshots: `${c.url},docs,${c.snapshot}\n` }),
    stdout: /^\[recover_snap\] Snapshots recovered: 0, accepted: 0, already recovered: 0, failed: 1\n$/,
    culprit: (c) =>
      new RegExp(
        `Recovery of ${re(c.snapshot)} on ${re(c.url)} failed: .*Failed to download tar from .*\\?X-Amz-Algorithm=<redacted>&.*X-Amz-Signature=<redacted>.*: status - 403 Forbidden`,
      ),
    after: async (dir, c) => {
      expect(await readStateText(dir, "failed_snapshot_recovery")).toBe(`${c.url},${c.snapshot},http-400\n`);
      expect(await readStateText(dir, "snapshot_recovery_history")).toBeUndefined();
    },
  },
  {
    name: "a clock two hours slow (RequestTimeTooSkewed, corrected; links signed at the server's time)",
    args: ["recover_snap"],
    code: 0,
    env: (c) => ({ ...full(c), NODE_OPTIONS: `--import=data:text/javascript,${SLOW_CLOCK}` }),
    files: (c) => ({ snapshots: `${c.url},docs,${c.snapshot}\n` }),
    stdout: /^\[recover_snap\] Snapshots recovered: 1, accepted: 0, already recovered: 0, failed: 0\n$/,
    culprit: (c) => new RegExp(`Recovered docs from ${re(c.snapshot)} on ${re(c.url)}`),
    after: async (dir, c) =>
      expect(await readStateText(dir, "snapshot_recovery_history")).toBe(
        `${c.url},${c.snapshot},ok\n${c.url},${c.snapshot},verified\n`,
      ),
  },

  // Names no REST path can carry: `..` would resolve to another endpoint (POST /snapshots: a full-storage snapshot).
  {
    name: "a collection named .. in collections",
    args: ["create_snap"],
    env: hosts,
    code: 3,
    files: (c) => ({ collections: `${c.url},..\n` }),
    stdout: /^\[create_snap\] Snapshots created: 0, accepted: 0, failed: 1\n$/,
    culprit: (c) => new RegExp(`Snapshot of \\.\\. on ${re(c.url)} failed: the name "\\.\\." cannot be sent to Qdrant`),
    after: async (dir, _c, t) => {
      expect(await readStateText(dir, "snapshots")).toBeUndefined();
      expect(t.emu.requests().filter((q) => q.method !== "GET")).toEqual([]);
    },
  },
  {
    name: "a snapshot named ../../escape in snapshots",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_RECOVER_VIA: "upload" }),
    code: 3,
    files: (c) => ({ snapshots: `${c.url},docs,../../escape.snapshot\n` }),
    stdout: /^\[recover_snap\] Snapshots recovered: 0, accepted: 0, already recovered: 0, failed: 1\n$/,
    // The name stays one key segment (`..%2F..%2Fescape.snapshot`): nothing outside the layout is read.
    culprit: (c) =>
      new RegExp(
        `Recovery of \\.\\./\\.\\./escape\\.snapshot on ${re(c.url)} failed: s3://${c.bucket}/snapshots/docs/\\.\\.%2F\\.\\.%2Fescape\\.snapshot does not exist`,
      ),
    after: async (dir, c) => {
      expect(await readStateText(dir, "failed_snapshot_recovery")).toBe(`${c.url},../../escape.snapshot,missing\n`);
      expect(await readStateText(dir, "snapshot_recovery_history")).toBeUndefined();
    },
  },
];
