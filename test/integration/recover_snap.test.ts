// recover_snap: one source and two target emulator nodes (API key on), snapshots in the rig's bucket, recovered from
// presigned URLs. History per host, failures and resume, wait=false, bash files, listing the bucket first, secret
// hygiene, the newest snapshot per collection and peer by default, and with --all every one, the newest winning.
import { describe, expect, it } from "vitest";
import { run as createSnap } from "../../src/commands/create_snap.js";
import { run } from "../../src/commands/recover_snap.js";
import { EXIT, InterruptedError } from "../../src/errors.js";
import { qdrantCall, readAllPoints } from "../support/emulator/seed.js";
import { API_KEY, backedUp, C1, C2, expectSamePoints, RECOVER, type Backup } from "./helpers/backup.js";
import { csv, okAndVerified, sortedLines, waitUntil, STATE_FILE_NAMES } from "./helpers/rig.js";

describe("recover_snap", () => {
  it("recovers every snapshot on every restore host, with history host,snapshot,ok", async () => {
    const { rig, src, t1, t2, env } = await backedUp("recover-snap-all");

    const summary = await run({}, rig.deps(env));

    expect(summary).toMatchObject({
      task: "recover_snap",
      done: 4,
      skipped: 0,
      failed: 0,
      accepted: 0,
      exitCode: EXIT.ok,
    });
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toEqual(
      okAndVerified([`${t1},${C1},ok`, `${t1},${C2},ok`, `${t2},${C1},ok`, `${t2},${C2},ok`]),
    );
    expect(await rig.read("failed_snapshot_recovery")).toBeUndefined();
    for (const target of [t1, t2]) for (const c of ["c1", "c2"]) await expectSamePoints(src, target, c);
    expect(
      rig
        .requests("PUT", RECOVER)
        .map((r) => r.node)
        .sort(),
    ).toEqual([1, 1, 2, 2]);
  });

  it("does nothing on a re-run: every item skipped, no recover request", async () => {
    const { rig, env } = await backedUp("recover-snap-rerun");
    await run({}, rig.deps(env));
    const history = await rig.read("snapshot_recovery_history");
    rig.emu.resetRequests();

    const summary = await run({}, rig.deps(env));

    expect(summary).toMatchObject({ done: 0, skipped: 4, failed: 0, exitCode: EXIT.ok });
    expect(rig.requests("PUT", RECOVER)).toEqual([]);
    expect(await rig.read("snapshot_recovery_history")).toBe(history);
  });

  it("still recovers on the second host a snapshot the history marks done on the first (defect 1)", async () => {
    const { rig, src, t1, t2, env } = await backedUp("recover-snap-per-host");
    // As the bash tool wrote it after recovering on t1 only; it would then skip t2 because it matched `name,ok`.
    const bashHistory = csv([t1, C1, "ok"], [t1, C2, "ok"]);
    await rig.write("snapshot_recovery_history", bashHistory);

    // Without checks: t1 never really recovered anything here, and a recovery recorded `ok` but never checked is
    // checked by a run with checks on (verify.test.ts).
    const summary = await run({}, rig.deps({ ...env, QDRANT_VERIFY_AFTER_RECOVER: "false" }));

    expect(summary).toMatchObject({ done: 2, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(rig.requests("PUT", RECOVER).map((r) => r.node)).toEqual([2, 2]);
    const history = await rig.read("snapshot_recovery_history");
    expect(history?.startsWith(bashHistory)).toBe(true);
    expect(sortedLines(history?.slice(bashHistory.length))).toEqual([`${t2},${C1},ok`, `${t2},${C2},ok`]);
    for (const c of ["c1", "c2"]) await expectSamePoints(src, t2, c);
  });

  it("records a failure on one target (exit 3), and a re-run recovers only the missing item", async () => {
    const { rig, src, t1, t2, env } = await backedUp("recover-snap-fail");
    const removeFault = rig.emu.faults.add({
      node: 2,
      method: "PUT",
      path: "/collections/c2/snapshots/recover",
      status: 500,
    });

    const first = await run({}, rig.deps(env));

    expect(first).toMatchObject({ done: 3, failed: 1, exitCode: EXIT.partial });
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([t2, C2, "http-500"]));
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toEqual(
      okAndVerified([`${t1},${C1},ok`, `${t1},${C2},ok`, `${t2},${C1},ok`]),
    );

    removeFault();
    rig.emu.resetRequests();
    const second = await run({}, rig.deps(env));

    expect(second).toMatchObject({ done: 1, skipped: 3, failed: 0, exitCode: EXIT.ok });
    expect(rig.requests("PUT", RECOVER)).toEqual([
      {
        node: 2,
        method: "PUT",
        path: "/collections/c2/snapshots/recover",
        status: 200,
        ms: expect.any(Number),
        arrivedAt: expect.any(Number),
      },
    ]);
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toContain(`${t2},${C2},ok`);
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([t2, C2, "http-500"]));
    await expectSamePoints(src, t2, "c2");
  });

  it("records accepted recoveries with QDRANT_WAIT_ON_TASK=false and leaves them alone on a re-run", async () => {
    const { rig, src, t1, t2, env } = await backedUp("recover-snap-nowait");

    const summary = await run({}, rig.deps({ ...env, QDRANT_WAIT_ON_TASK: "false" }));

    expect(summary).toMatchObject({ done: 0, accepted: 4, failed: 0, exitCode: EXIT.ok });
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toEqual(
      [`${t1},${C1},accepted`, `${t1},${C2},accepted`, `${t2},${C1},accepted`, `${t2},${C2},accepted`].sort(),
    );
    const expected = await readAllPoints(src, "c1", API_KEY);
    await waitUntil("the accepted recoveries finish", async () => {
      const got = await Promise.all([t1, t2].map((t) => readAllPoints(t, "c1", API_KEY).catch(() => [])));
      return got.every((points) => JSON.stringify(points) === JSON.stringify(expected));
    });
    rig.emu.resetRequests();
    const again = await run({}, rig.deps(env));
    expect(again).toMatchObject({ done: 0, skipped: 4, exitCode: EXIT.ok });
    expect(rig.requests("PUT", RECOVER)).toEqual([]);
  });

  it("reads a snapshots file written by the bash tool", async () => {
    const { rig, src, t1 } = await backedUp("recover-snap-bash-file");
    await rig.write("snapshots", `http://old-source:6333,c1,${C1}\nhttp://old-source:6333,c2,${C2}`);

    const summary = await run({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1, QDRANT_API_KEY: API_KEY }));

    expect(summary).toMatchObject({ done: 2, exitCode: EXIT.ok });
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toEqual(
      okAndVerified([`${t1},${C1},ok`, `${t1},${C2},ok`]),
    );
    for (const c of ["c1", "c2"]) await expectSamePoints(src, t1, c);
  });

  it("recovers a snapshot listed under several hosts once per target, and honours the filter", async () => {
    const { rig, t1 } = await backedUp("recover-snap-dedupe-filter");
    await rig.write(
      "snapshots",
      csv(["http://a:6333", "c1", C1], ["http://b:6333", "c1", C1], ["http://a:6333", "c2", C2]),
    );

    const summary = await run(
      {},
      rig.deps({ QDRANT_RESTORE_HOSTS: t1, QDRANT_API_KEY: API_KEY, QDRANT_SNAPSHOT_DATETIME_FILTER: "c1-*" }),
    );

    expect(summary).toMatchObject({ done: 1, skipped: 0, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("snapshot_recovery_history")).toBe(csv([t1, C1, "ok"], [t1, C1, "verified"]));
    expect(rig.requests("PUT", RECOVER).map((r) => r.path)).toEqual(["/collections/c1/snapshots/recover"]);
  });

  it("does not try to recover the bash tool's `unknown`/`null` rows (failed or unconfirmed snapshots)", async () => {
    const { rig, src, t1 } = await backedUp("recover-snap-bash-unknown");
    await rig.write(
      "snapshots",
      `${src},c1,${C1}\nhttp://old-source:6333,c2,unknown\nhttp://old-source:6333,c1,null\n${src},c2,${C2}\n`,
    );

    const summary = await run({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1, QDRANT_API_KEY: API_KEY }));

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("failed_snapshot_recovery")).toBeUndefined();
    expect(rig.requests("PUT", RECOVER)).toHaveLength(2);
  });

  it("stops on an interrupt (exit 130) with every recovery finished before it recorded, and nothing else", async () => {
    const { rig, t1 } = await backedUp("recover-snap-interrupt");
    rig.emu.faults.add({ node: 1, method: "PUT", path: RECOVER, latencyMs: 300 });
    const controller = new AbortController();
    // Without checks: a passing check's `verified` row could land before the abort.
    const deps = rig.deps(
      {
        QDRANT_RESTORE_HOSTS: t1,
        QDRANT_API_KEY: API_KEY,
        QDRANT_CONCURRENCY: "1",
        QDRANT_VERIFY_AFTER_RECOVER: "false",
      },
      { signal: controller.signal },
    );

    const running = run({}, deps).then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitUntil(
      "the first recovery is recorded",
      async () => (await rig.read("snapshot_recovery_history"))?.endsWith(",ok\n") === true,
    );
    controller.abort(new InterruptedError("interrupted by SIGTERM")); // as cli.ts does
    const failure = await running;

    expect(await rig.read("snapshot_recovery_history")).toBe(csv([t1, C1, "ok"]));
    expect(await rig.read("failed_snapshot_recovery")).toBeUndefined();
    expect(failure).toMatchObject({ exitCode: EXIT.interrupted });
  });

  it("lists the bucket first when `snapshots` is empty (no source host needed)", async () => {
    const { rig, src, t1, t2, env } = await backedUp("recover-snap-from-bucket");
    await rig.write("snapshots", "");
    await rig.write("collections", "");

    const summary = await run({}, rig.deps({ ...env, QDRANT_CONCURRENCY: "1" }));

    expect(summary).toMatchObject({ done: 4, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(csv(["", "c1", C1], ["", "c2", C2]));
    for (const target of [t1, t2]) for (const c of ["c1", "c2"]) await expectSamePoints(src, target, c);
  });

  it("never logs or records the presigned URL or a secret, even when the target quotes the URL back", async () => {
    const { rig, t1 } = await backedUp("recover-snap-secrets");
    await rig.write("snapshots", csv(["", "c1", C1]));
    // The URL lives 1 s; the target waits 2.2 s before downloading it, and S3 refuses it as expired.
    rig.emu.faults.add({ node: 1, method: "PUT", path: RECOVER, latencyMs: 2_200 });
    const deps = rig.deps({ QDRANT_RESTORE_HOSTS: t1, QDRANT_API_KEY: API_KEY, QDRANT_S3_LINK_EXPIRY_DURATION: "1" });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([t1, C1, "http-400"]));
    const logged = deps.lines.join("\n");
    const failure = deps.lines.find((l) => l.includes("Failed to download tar from"));
    expect(failure).toBeDefined();
    expect(failure).toContain(
      `${rig.s3info.endpoint}/${rig.bucket.name}/snapshots/c1/${C1}?X-Amz-Algorithm=<redacted>&X-Amz-Content-Sha256=<redacted>&X-Amz-Credential=<redacted>`,
    );
    expect(failure).toContain("403 Forbidden");
    expect(logged).not.toMatch(/X-Amz-(Signature|Credential|Date|Expires)=(?!<redacted>)/i);
    expect(logged).not.toContain(rig.s3info.secretKey);
    expect(logged).not.toContain(API_KEY);
    for (const name of STATE_FILE_NAMES) {
      const text = (await rig.read(name)) ?? "";
      expect(text).not.toMatch(/X-Amz|\?/);
      for (const secret of [API_KEY, rig.s3info.secretKey, rig.s3info.accessKey]) expect(text).not.toContain(secret);
    }
  });

  describe("several snapshots of one collection", () => {
    /** c1 snapshotted at 08:00 (the backup), points changed, snapshotted again at 09:00; the two snapshots rows. */
    async function twoGenerations(label: string): Promise<{ b: Backup; older: string; newer: string }> {
      const b = await backedUp(label);
      const { rig, clock, src } = b;
      // Generation 1 is the backup's c1 snapshot at 08:00.
      await rig.write("snapshots", csv([src, "c1", C1]));
      await rig.write("collections", csv([src, "c1"]));
      const points = [1, 2, 3].map((id) => ({ id, vector: [0.5, 0.5, 0.5, id], payload: { generation: 2 } }));
      await qdrantCall(src, "PUT", "/collections/c1/points?wait=true", API_KEY, {
        points: [...points, { id: 999, vector: [1, 0, 0, 0], payload: {} }],
      });
      clock.set("2026-03-01T09:00:00Z");
      await createSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: src, QDRANT_API_KEY: API_KEY }));
      const older = `${src},c1,${C1}\n`;
      const newer = `${src},c1,c1-1-2026-03-01-09-00-00.snapshot\n`;
      expect(await rig.read("snapshots")).toBe(older + newer);
      return { b, older, newer };
    }

    it("recovers by default only the newest of a collection and peer, logging how many it passed over", async () => {
      const { b, newer } = await twoGenerations("recover-snap-newest-default");
      const deps = b.rig.deps({ QDRANT_RESTORE_HOSTS: b.t1, QDRANT_API_KEY: API_KEY });

      const summary = await run({}, deps);

      expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
      expect(b.rig.requests("PUT", RECOVER)).toHaveLength(1);
      const name = newer.trim().split(",")[2]!;
      expect(sortedLines(await b.rig.read("snapshot_recovery_history"))).toEqual(okAndVerified([`${b.t1},${name},ok`]));
      expect(deps.lines.filter((l) => l.includes("passed over"))).toEqual([
        expect.stringMatching(/c1: recovering the newest snapshot of each of 1 source peer\(s\) .*passed over 1 older/),
      ]);
      const points = await readAllPoints(b.t1, "c1", API_KEY);
      expect(points.some((p) => p.id === 999)).toBe(true);
      await expectSamePoints(b.src, b.t1, "c1");
    });

    it("applies QDRANT_SNAPSHOT_DATETIME_FILTER before choosing the newest", async () => {
      const { b } = await twoGenerations("recover-snap-newest-filter");
      const env = {
        QDRANT_RESTORE_HOSTS: b.t1,
        QDRANT_API_KEY: API_KEY,
        QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-03-01-08",
      };

      const summary = await run({}, b.rig.deps(env));

      expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
      expect(sortedLines(await b.rig.read("snapshot_recovery_history"))).toEqual(okAndVerified([`${b.t1},${C1},ok`]));
      const points = await readAllPoints(b.t1, "c1", API_KEY);
      expect(points).toHaveLength(20);
      expect(points.some((p) => p.id === 999)).toBe(false);
    });

    it("with --all recovers them oldest first, so the newest wins", async () => {
      const { b } = await twoGenerations("recover-snap-newest");

      const summary = await run({ all: true }, b.rig.deps({ QDRANT_RESTORE_HOSTS: b.t1, QDRANT_API_KEY: API_KEY }));

      expect(summary).toMatchObject({ done: 2, exitCode: EXIT.ok });
      const points = await readAllPoints(b.t1, "c1", API_KEY);
      expect(points.some((p) => p.id === 999)).toBe(true);
      await expectSamePoints(b.src, b.t1, "c1");
    });

    it("with --all recovers them oldest first even when the file lists the newer one first", async () => {
      const { b, older, newer } = await twoGenerations("recover-snap-newest-reversed");
      await b.rig.write("snapshots", newer + older);

      const summary = await run({ all: true }, b.rig.deps({ QDRANT_RESTORE_HOSTS: b.t1, QDRANT_API_KEY: API_KEY }));

      expect(summary).toMatchObject({ done: 2, exitCode: EXIT.ok });
      await expectSamePoints(b.src, b.t1, "c1");
    });
  });
});
