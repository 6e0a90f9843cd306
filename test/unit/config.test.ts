import { describe, expect, it } from "vitest";
import { assertConfigured, buildConfig } from "../../src/config.js";
import { configProblems } from "../support/config-problems.js";
import { ConfigError } from "../../src/errors.js";

const cwd = "/work/dir";
const problemsOf = (env: Record<string, string>): string[] => configProblems(env, cwd);

describe("buildConfig", () => {
  it("applies the bash tool's defaults", () => {
    const c = buildConfig({}, { cwd });
    expect(c).toMatchObject({
      apiKey: undefined,
      sourceHosts: [],
      restoreHosts: [],
      discoverPeers: false,
      requestTimeoutMs: 1_800_000,
      waitOnTask: true,
      linkExpirySeconds: 3600,
      snapshotFilter: "",
      httpPort: 6333,
      stateDir: cwd,
      concurrency: 8,
      perHostConcurrency: 1,
      retries: 3,
    });
    expect(c.s3.region).toBe("us-east-1");
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("parses hosts, booleans, numbers and durations", () => {
    const c = buildConfig(
      {
        QDRANT_SOURCE_HOSTS: " http://a:6333/ , https://b:6333",
        QDRANT_RESTORE_HOSTS: "http://c:6333",
        GET_PEERS_FROM_CLUSTER_INFO: "TRUE",
        QDRANT_WAIT_ON_TASK: "false",
        CURL_TIMEOUT: "30m",
        QDRANT_S3_LINK_EXPIRY_DURATION: "3600s",
        QDRANT_HTTP_PORT: "7333",
        QDRANT_STATE_DIR: "state",
        QDRANT_CONCURRENCY: "8",
        QDRANT_RETRIES: "0",
        MC_CONFIG_DIR: "/ignored",
      },
      { cwd },
    );
    expect(c.sourceHosts).toEqual(["http://a:6333", "https://b:6333"]);
    expect(c.discoverPeers).toBe(true);
    expect(c.waitOnTask).toBe(false);
    expect(c.requestTimeoutMs).toBe(1_800_000);
    expect(c.linkExpirySeconds).toBe(3600);
    expect(c.stateDir).toBe("/work/dir/state");
    expect(c.retries).toBe(0);
  });

  it("--state-dir wins over QDRANT_STATE_DIR", () => {
    expect(buildConfig({ QDRANT_STATE_DIR: "a" }, { cwd, stateDir: "/b" }).stateDir).toBe("/b");
  });

  it("reports every problem at once, each naming its variable", () => {
    const problems = problemsOf({
      QDRANT_SOURCE_HOSTS: "http://a:1,,not a url",
      QDRANT_RESTORE_HOSTS: "ftp://x",
      GET_PEERS_FROM_CLUSTER_INFO: "yes",
      CURL_TIMEOUT: "10x",
      QDRANT_HTTP_PORT: "70000",
      QDRANT_CONCURRENCY: "-1",
      QDRANT_RETRIES: "NaN",
      QDRANT_S3_LINK_EXPIRY_DURATION: "8d",
      QDRANT_S3_BUCKET_NAME: "Bad_Bucket",
      QDRANT_S3_ACCESS_KEY_ID: "only-the-id",
    });
    const named = [
      "QDRANT_SOURCE_HOSTS",
      "QDRANT_RESTORE_HOSTS",
      "GET_PEERS_FROM_CLUSTER_INFO",
      "CURL_TIMEOUT",
      "QDRANT_HTTP_PORT",
      "QDRANT_CONCURRENCY",
      "QDRANT_RETRIES",
      "QDRANT_S3_LINK_EXPIRY_DURATION",
      "QDRANT_S3_BUCKET_NAME",
      "QDRANT_S3_ACCESS_KEY_ID",
    ];
    for (const n of named)
      expect(
        problems.some((p) => p.startsWith(n)),
        n,
      ).toBe(true);
    expect(problems.filter((p) => p.startsWith("QDRANT_SOURCE_HOSTS"))).toHaveLength(2);
  });

  it("never echoes the S3 secret or the API key", () => {
    const problems = problemsOf({
      QDRANT_S3_SECRET_ACCESS_KEY: "s3cr3t-value",
      QDRANT_API_KEY: "k3y-value",
      QDRANT_HTTP_PORT: "x",
    });
    expect(problems.join("\n")).not.toMatch(/s3cr3t-value|k3y-value/);
    expect(problems.some((p) => p.includes("QDRANT_S3_ACCESS_KEY_ID and QDRANT_S3_SECRET_ACCESS_KEY"))).toBe(true);
  });

  it("rejects URLs that carry credentials or a query", () => {
    expect(problemsOf({ QDRANT_SOURCE_HOSTS: "http://user:pw@a:6333" })[0]).toMatch(
      /^QDRANT_SOURCE_HOSTS: .*credentials/,
    );
    expect(problemsOf({ QDRANT_SOURCE_HOSTS: "http://user:pw@a:6333" })[0]).not.toContain("pw");
    expect(problemsOf({ QDRANT_S3_ENDPOINT_URL: "http://s3?x=1" })[0]).toMatch(/^QDRANT_S3_ENDPOINT_URL/);
  });
});

describe("QDRANT_VERIFY_TOLERANCE_PCT", () => {
  const cwd = "/work/dir";
  it("defaults to 0 and takes a number >= 0 with decimals", () => {
    expect(buildConfig({}, { cwd }).verifyTolerancePct).toBe(0);
    expect(buildConfig({ QDRANT_VERIFY_TOLERANCE_PCT: "2.5" }, { cwd }).verifyTolerancePct).toBe(2.5);
    expect(buildConfig({ QDRANT_VERIFY_TOLERANCE_PCT: "10" }, { cwd }).verifyTolerancePct).toBe(10);
  });

  it("refuses a negative number, a unit or text, naming the variable", () => {
    for (const bad of ["-1", "5%", "abc", "1e3", "NaN"]) {
      expect(() => buildConfig({ QDRANT_VERIFY_TOLERANCE_PCT: bad }, { cwd }), bad).toThrow(
        /QDRANT_VERIFY_TOLERANCE_PCT: expected a number >= 0/,
      );
    }
  });
});

describe("QDRANT_STATE_S3_PREFIX", () => {
  const bucket = { QDRANT_S3_BUCKET_NAME: "my-bucket" };
  const prefixOf = (value: string | undefined): string | undefined =>
    buildConfig(value === undefined ? bucket : { ...bucket, QDRANT_STATE_S3_PREFIX: value }, { cwd }).stateS3Prefix;

  it("is undefined (no mirror) when unset, empty or blank", () => {
    expect(prefixOf(undefined)).toBeUndefined();
    expect(prefixOf("")).toBeUndefined();
    expect(prefixOf("   ")).toBeUndefined();
    expect(buildConfig({}, { cwd }).stateS3Prefix).toBeUndefined();
  });

  it("ends the prefix with / and keeps one that already does", () => {
    expect(prefixOf("state/prod")).toBe("state/prod/");
    expect(prefixOf("state/prod-backup/")).toBe("state/prod-backup/");
    expect(prefixOf("  state  ")).toBe("state/");
    expect(prefixOf("snapshots-old/x")).toBe("snapshots-old/x/"); // only a first segment exactly `snapshots` is Qdrant's
    expect(prefixOf("a/snapshots")).toBe("a/snapshots/");
    expect(prefixOf("état ü+ x/")).toBe("état ü+ x/");
  });

  it("accepts 512 bytes (with the /) and refuses 513, counting UTF-8 bytes", () => {
    expect(prefixOf("a".repeat(511))).toBe(`${"a".repeat(511)}/`);
    expect(prefixOf(`${"a".repeat(511)}/`)).toBe(`${"a".repeat(511)}/`);
    expect(problemsOf({ ...bucket, QDRANT_STATE_S3_PREFIX: "a".repeat(512) })).toEqual([
      expect.stringMatching(/^QDRANT_STATE_S3_PREFIX: .*longer than 512 bytes/),
    ]);
    // 255 two-byte characters + "/" = 511 bytes; 256 of them = 513.
    expect(prefixOf("é".repeat(255))).toBe(`${"é".repeat(255)}/`);
    expect(problemsOf({ ...bucket, QDRANT_STATE_S3_PREFIX: "é".repeat(256) })).toHaveLength(1);
  });

  it.each([
    ["a leading slash", "/state/prod", /must not start with \//],
    ["only a slash", "/", /must not start with \//],
    ["an empty segment", "state//prod", /empty, \. or \.\. path segments/],
    ["a trailing double slash", "state//", /empty, \. or \.\. path segments/],
    ["a . segment", "./state", /empty, \. or \.\. path segments/],
    ["a .. segment", "state/../prod", /empty, \. or \.\. path segments/],
    ["a final .. segment", "state/..", /empty, \. or \.\. path segments/],
    ["a backslash", "state\\prod", /control characters or backslashes/],
    ["a tab", "state\tprod", /control characters or backslashes/],
    ["a newline", "state\nprod", /control characters or backslashes/],
    ["a NUL", "state\u0000prod", /control characters or backslashes/],
    ["a DEL", "state\u007fprod", /control characters or backslashes/],
    ["Qdrant's snapshots prefix", "snapshots", /inside snapshots\//],
    ["a folder inside snapshots", "snapshots/state/", /inside snapshots\//],
  ])("refuses %s, naming the variable", (_what, value, reason) => {
    let error: unknown;
    try {
      buildConfig({ ...bucket, QDRANT_STATE_S3_PREFIX: value }, { cwd });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^QDRANT_STATE_S3_PREFIX: /);
    expect(problems[0]).toMatch(reason);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it("needs QDRANT_S3_BUCKET_NAME, naming both variables", () => {
    const problems = problemsOf({ QDRANT_STATE_S3_PREFIX: "state/prod" });
    expect(problems).toEqual([expect.stringMatching(/^QDRANT_STATE_S3_PREFIX: .*QDRANT_S3_BUCKET_NAME/)]);
    expect(problemsOf({ QDRANT_STATE_S3_PREFIX: "state/prod", QDRANT_S3_BUCKET_NAME: "  " })).toHaveLength(1);
  });

  it("is reported together with every other problem", () => {
    const problems = problemsOf({
      QDRANT_STATE_S3_PREFIX: "/state",
      QDRANT_HTTP_PORT: "0",
      QDRANT_S3_BUCKET_NAME: "Bad_Bucket",
    });
    for (const n of ["QDRANT_STATE_S3_PREFIX", "QDRANT_HTTP_PORT", "QDRANT_S3_BUCKET_NAME"]) {
      expect(
        problems.some((p) => p.startsWith(`${n}:`)),
        n,
      ).toBe(true);
    }
    const missingBucket = problemsOf({ QDRANT_STATE_S3_PREFIX: "state", QDRANT_RETRIES: "x" });
    expect(missingBucket).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^QDRANT_STATE_S3_PREFIX: .*QDRANT_S3_BUCKET_NAME/),
        expect.stringMatching(/^QDRANT_RETRIES: /),
      ]),
    );
    expect(missingBucket).toHaveLength(2);
  });
});

describe("assertConfigured", () => {
  it("names each missing variable with the task", () => {
    const c = buildConfig({}, { cwd });
    expect(() => assertConfigured(c, "recover_snap", ["restore", "s3"])).toThrow(ConfigError);
    try {
      assertConfigured(c, "recover_snap", ["restore", "s3"]);
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([
        expect.stringMatching(/^recover_snap: QDRANT_RESTORE_HOSTS is not set/),
        expect.stringMatching(/^recover_snap: QDRANT_S3_BUCKET_NAME is not set/),
      ]);
    }
  });

  it("get_coll needs no S3 settings", () => {
    const c = buildConfig({ QDRANT_SOURCE_HOSTS: "http://a:6333" }, { cwd });
    expect(() => assertConfigured(c, "get_coll", ["source"])).not.toThrow();
  });
});
