// doctor against the emulator and the local S3: every check passes on a sound setup, and each failing check is
// provoked once. Whatever doctor creates (probe objects, the probe collection, Qdrant's probe snapshot) is gone after.
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { run } from "../../src/commands/doctor.js";
import { EXIT } from "../../src/errors.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { closedPort } from "../support/net.js";
import { makeTempDir } from "../support/tmp.js";
import { startRig, type Rig } from "./helpers/rig.js";

type Item = { check: string; verdict: string; detail: string; cure: string };

const verdicts = (items: Record<string, string>[]) =>
  Object.fromEntries((items as Item[]).map((i) => [i.check.replace(/http:\/\/[^ ]+/, "HOST"), i.verdict]));

/** Nothing of doctor's left: no probe object, no probe snapshot, no probe collection. */
async function expectClean(rig: Rig): Promise<void> {
  expect(await rig.bucket.keys("doctor-probe/")).toEqual([]);
  expect((await rig.bucket.keys("snapshots/")).filter((k) => k.includes("doctor-probe"))).toEqual([]);
  const res = await fetch(`${rig.urls[0]}/collections`, { headers: { "api-key": "manage-key-1234" } });
  const names = ((await res.json()) as { result: { collections: { name: string }[] } }).result.collections;
  expect(names.map((c) => c.name).filter((n) => n.startsWith("doctor-probe"))).toEqual([]);
}

describe("doctor", () => {
  it("passes every check on a sound setup, --probe-write included, and leaves nothing behind", async () => {
    const rig = await startRig("doctor-ok", { nodes: 1, apiKey: "manage-key-1234" });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_API_KEY: "manage-key-1234" });

    const summary = await run({ probeWrite: true }, deps);

    expect(verdicts(summary.items)).toEqual({
      variables: "ok",
      "qdrant HOST reachable": "ok",
      "qdrant HOST API key": "ok",
      "qdrant HOST write access": "ok",
      "qdrant HOST cluster peers": "ok",
      [`s3 bucket ${rig.s3Env["QDRANT_S3_BUCKET_NAME"]}`]: "ok",
      "s3 list": "ok",
      "s3 put/get/delete": "ok",
      "s3 multipart": "ok",
      "s3 presigned URL": "ok",
      "s3 clock skew": "ok",
      "s3 conditional writes": "ok",
      "probe write": "ok",
    });
    expect(summary.exitCode).toBe(EXIT.ok);
    const conditional = (summary.items as Item[]).find((i) => i.check === "s3 conditional writes")!;
    expect(conditional.detail).toMatch(/If-None-Match: \* refused \(HTTP 412\)/);
    expect(conditional.detail).toMatch(/If-Match on a missing key: HTTP (412|404)$/);
    expect((summary.items as Item[]).find((i) => i.check === "s3 multipart")!.detail).toMatch(/ETag [0-9a-f]{32}-2/);
    expect(summary.report?.join("\n")).not.toContain("X-Amz-Signature");
    expect(summary.report?.join("\n")).not.toContain("manage-key-1234");
    await expectClean(rig);
  });

  it("fails naming QDRANT_API_KEY (exit 4) when the node refuses the key", async () => {
    const rig = await startRig("doctor-key", { nodes: 1, apiKey: "manage-key-1234" });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_API_KEY: "wrong-key-5678" });

    const summary = await run({}, deps);

    const key = (summary.items as Item[]).find((i) => i.check.endsWith("API key"))!;
    expect(key).toMatchObject({ verdict: "FAIL", detail: "QDRANT_API_KEY refused (HTTP 401)" });
    expect(key.cure).toContain("QDRANT_API_KEY");
    expect(summary.exitCode).toBe(EXIT.upstream);
  });

  it("fails on a read-only key: a manage-only call answered 403", async () => {
    const rig = await startRig("doctor-ro", { nodes: 1, apiKey: "manage-key-1234", readOnlyApiKey: "read-key-1234" });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_API_KEY: "read-key-1234" });

    const summary = await run({}, deps);

    expect(verdicts(summary.items)).toMatchObject({ "qdrant HOST API key": "ok", "qdrant HOST write access": "FAIL" });
    expect(summary.report?.join("\n")).toMatch(/FAIL {2}qdrant .* write access: QDRANT_API_KEY is a read-only key/);
    expect(summary.exitCode).toBe(EXIT.upstream);
  });

  it("fails on an unreachable restore host, naming QDRANT_RESTORE_HOSTS", async () => {
    const rig = await startRig("doctor-down", { nodes: 1 });
    const down = `http://127.0.0.1:${await closedPort()}`;
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_RESTORE_HOSTS: down, QDRANT_RETRIES: "0" });

    const summary = await run({}, deps);

    const reach = (summary.items as Item[]).find((i) => i.check === `qdrant ${down} reachable`)!;
    expect(reach.verdict).toBe("FAIL");
    expect(reach.cure).toContain("QDRANT_RESTORE_HOSTS");
    expect(verdicts(summary.items)["s3 put/get/delete"]).toBe("ok");
    expect(summary.exitCode).toBe(EXIT.upstream);
  });

  it("fails on a missing bucket and runs no other S3 check", async () => {
    const rig = await startRig("doctor-nobucket", { nodes: 1 });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_S3_BUCKET_NAME: "no-such-bucket-doctor" });

    const summary = await run({}, deps);

    const bucket = (summary.items as Item[]).find((i) => i.check.startsWith("s3 bucket"))!;
    expect(bucket).toMatchObject({ verdict: "FAIL" });
    expect(bucket.cure).toContain("QDRANT_S3_BUCKET_NAME");
    expect((summary.items as Item[]).filter((i) => i.check.startsWith("s3 "))).toHaveLength(1);
    expect(summary.exitCode).toBe(EXIT.upstream);
  });

  it("fails when the store refuses the probe's PUT, and still removes what it wrote", async () => {
    const rig = await startRig("doctor-s3fault", { nodes: 1 });
    const bucket = rig.s3Env["QDRANT_S3_BUCKET_NAME"]!;
    await setS3Faults(rig.s3info.endpoint, {
      rate: 1,
      statuses: [500],
      bucket,
      operations: ["PutObject"],
      keyPattern: "object\\.bin$",
    });
    onTestFinished(() => clearS3Faults(rig.s3info.endpoint, bucket));
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_RETRIES: "0" });

    const summary = await run({}, deps);

    const put = (summary.items as Item[]).find((i) => i.check === "s3 put/get/delete")!;
    expect(put.verdict).toBe("FAIL");
    expect(put.detail).toMatch(/^PUT s3:\/\/.*object\.bin: InternalError \(HTTP 500\)/);
    expect(verdicts(summary.items)["s3 multipart"]).toBe("ok");
    expect(summary.exitCode).toBe(EXIT.upstream);
    await clearS3Faults(rig.s3info.endpoint, bucket);
    await expectClean(rig);
  });

  it("--probe-write fails when Qdrant keeps its snapshots on local disk (qdrant#5026), and cleans up", async () => {
    const rig = await startRig("doctor-localdisk", { nodes: 1 });
    rig.emu.faults.snapshotsToLocalDisk(true);
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]! });

    const summary = await run({ probeWrite: true }, deps);

    const probe = (summary.items as Item[]).find((i) => i.check === "probe write")!;
    expect(probe.verdict).toBe("FAIL");
    expect(probe.detail).toContain("qdrant#5026");
    expect(summary.exitCode).toBe(EXIT.upstream);
    expect(rig.requests("DELETE", /^\/collections\/doctor-probe-[^/]+$/)).toHaveLength(1);
    expect(rig.requests("DELETE", /^\/collections\/doctor-probe-[^/]+\/snapshots\/.+/)).toHaveLength(1);
    await expectClean(rig);
  });

  it("checks QDRANT_BACKUP_DIR with a probe file, and fails (exit 2) when it is not writable", async () => {
    const rig = await startRig("doctor-dir", { nodes: 1 });
    const tmp = await makeTempDir("doctor-dir");
    onTestFinished(() => tmp.cleanup());
    const dir = join(tmp.dir, "backups");
    await mkdir(dir);
    const env = { QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_S3_BUCKET_NAME: "", QDRANT_BACKUP_DIR: dir };

    const good = await run({}, rig.deps(env));
    expect(verdicts(good.items)).toMatchObject({ variables: "ok", "backup dir": "ok" });
    expect(good.exitCode).toBe(EXIT.ok);
    expect(await readdir(dir)).toEqual([]);

    // A directory no user can create a file in, root included (the tests may run as root): /proc.
    const bad = await run({}, rig.deps({ ...env, QDRANT_BACKUP_DIR: "/proc" }));
    const line = (bad.items as Item[]).find((i) => i.check === "backup dir")!;
    expect(line.verdict).toBe("FAIL");
    expect(line.cure).toContain("QDRANT_BACKUP_DIR");
    expect(bad.exitCode).toBe(EXIT.usage);
  });
});
