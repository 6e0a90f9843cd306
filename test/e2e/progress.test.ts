// Progress and log formats through the built CLI (README "Progress and logs"): a live display on a terminal (run in a
// pseudo-terminal by util-linux `script`), plain lines when stderr is piped, none with --quiet or an interval of 0,
// and --log-format json lines, redacted.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CLI_PATH, cliPath } from "../support/cli.js";
import { seedCollection } from "../support/emulator/seed.js";
import { renderScreen } from "../support/screen.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, LOG_LINE, parseJsonSummary } from "./harness.js";
import { startRig, type Rig } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const COLLECTIONS = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"];
const ESC = "\u001b";
let rig: Rig;
const temps: (() => Promise<void>)[] = [];

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "progress", sourceNodes: 1, targetNodes: 1 });
  for (const c of COLLECTIONS)
    await seedCollection(rig.source.urls[0] ?? "", c, { points: 20, dim: 3, apiKey: rig.apiKey });
});

afterAll(async () => {
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

/** The `progress create_snap: ...` lines of a stderr. */
const progressLines = (stderr: string, task: string) =>
  stderr.split("\n").filter((l) => l.includes(`progress ${task}: `));

/** Runs the CLI in a pseudo-terminal (stdout and stderr both on it), 100 columns by 30 rows. */
function runInTerminal(
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const quoted = [CLI_PATH, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", `stty cols 100 rows 30; ${quoted}`, "/dev/null"], {
      cwd,
      env: { PATH: cliPath(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("progress", () => {
  it("piped: plain timestamped lines at every tenth of the items, no escape code, stdout pure JSON", async () => {
    const dir = await tempDir("progress-plain");
    // Slow snapshots, two at a time: the lines see items in flight.
    const remove = rig.source.faults.add({ method: "POST", path: /^\/collections\/[^/]+\/snapshots$/, latencyMs: 150 });
    const r = await rig.run(
      ["create_snap", "--json"],
      dir,
      rig.env({ QDRANT_CONCURRENCY: "2", QDRANT_PER_HOST_CONCURRENCY: "2" }),
    );
    remove();
    expectExit(r, 0);
    expectLogLines(r.stderr);
    expect(r.stderr).not.toContain(ESC);
    expect(parseJsonSummary(r.stdout).tasks[0]).toMatchObject({ task: "create_snap", done: 10 });
    const lines = progressLines(r.stderr, "create_snap");
    // 10 items: one line per item ended (each is a tenth), the last at 100 %.
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.at(-1)).toMatch(/progress create_snap: 10\/10 items \(100%\), 0 failed, 0 in flight/);
    expect(lines.some((l) => /in flight \(c\d on http:\/\/127\.0\.0\.1:\d+/.test(l))).toBe(true);
    expect(lines[0]).toMatch(LOG_LINE);
  });

  it("piped: a line every QDRANT_PROGRESS_INTERVAL seconds while an item takes long, with its name", async () => {
    const dir = await tempDir("progress-interval");
    const remove = rig.source.faults.add({ method: "POST", path: "/collections/c0/snapshots", latencyMs: 3_500 });
    const env = rig.env({ QDRANT_PROGRESS_INTERVAL: "1" });
    const r = await rig.run(["create_snap"], dir, env);
    remove();
    expectExit(r, 0);
    // c0 goes first and holds the host's one slot for 3.5 s: a line about every second meanwhile, naming it.
    const waiting = progressLines(r.stderr, "create_snap").filter((l) =>
      /: 0\/10 items \(0%\), 0 failed, 1 in flight \(c0 on http:\/\/127\.0\.0\.1:\d+\)$/.test(l),
    );
    expect(waiting.length, r.stderr).toBeGreaterThanOrEqual(2);
    expect(waiting.length, r.stderr).toBeLessThanOrEqual(5);
  });

  it("--quiet and QDRANT_PROGRESS_INTERVAL=0: no progress line", async () => {
    const quiet = await rig.run(["create_snap", "--quiet"], await tempDir("progress-quiet"));
    expectExit(quiet, 0);
    expect(progressLines(quiet.stderr, "create_snap")).toEqual([]);
    const off = await rig.run(
      ["create_snap"],
      await tempDir("progress-off"),
      rig.env({ QDRANT_PROGRESS_INTERVAL: "0" }),
    );
    expectExit(off, 0);
    expect(off.stderr).toMatch(/Created snapshot/);
    expect(progressLines(off.stderr, "create_snap")).toEqual([]);
  });

  it("on a terminal: a live display redrawn in place, the items in flight listed under the counts, erased at the end", async () => {
    const dir = await tempDir("progress-tty");
    const remove = rig.source.faults.add({ method: "POST", path: /^\/collections\/[^/]+\/snapshots$/, latencyMs: 400 });
    const r = await runInTerminal(
      ["create_snap"],
      dir,
      rig.env({ QDRANT_CONCURRENCY: "2", QDRANT_PER_HOST_CONCURRENCY: "2" }),
    );
    remove();
    await assertNoSecrets({ stdout: r.out, stderr: "", stateDir: dir, secrets: rig.secrets });
    expect(r.code, r.out).toBe(0);
    // Frames: the counts line, then the items in flight, each item line indented under it.
    const frames = [...r.out.matchAll(/create_snap: (\d+)\/10 items \((\d+)%\), (\d+) failed, (\d+) in flight/g)];
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.map((f) => Number(f[1]))).toContain(5);
    expect(r.out).toMatch(/create_snap: \d+\/10 items[^\n]*\r?\n {2}c\d on http:\/\/127\.0\.0\.1:\d+/);
    // Redrawn in place: log-update's erase-line and cursor-up sequences; never the plain lines.
    expect(r.out).toContain(`${ESC}[2K`);
    expect(r.out).toMatch(new RegExp(`${ESC}\\[\\d*A`));
    expect(r.out).not.toContain("progress create_snap:");
    // Replayed as a person sees it: at every moment one display under the log lines, never a second counts line left
    // behind; at the end no display, each log line once, the summary last.
    const moments = r.out.split(`${ESC}[?2026l`);
    let shown = "";
    for (const [i, part] of moments.entries()) {
      shown += part;
      const screen = renderScreen(shown);
      const counts = screen.filter((l) => /^create_snap: \d+\/10 items/.test(l));
      expect(counts.length, `moment ${i}:\n${screen.join("\n")}`).toBeLessThanOrEqual(1);
      if (counts.length === 1 && i < moments.length - 1) {
        // The display is the last thing on the screen: its counts line, then only its item lines.
        const at = screen.indexOf(counts[0]!);
        expect(
          screen.slice(at + 1).every((l) => /^ {2}c\d on http:\/\/127\.0\.0\.1:\d+/.test(l)),
          screen.join("\n"),
        ).toBe(true);
      }
    }
    const end = renderScreen(r.out);
    expect(end.filter((l) => /create_snap: \d+\/10 items/.test(l))).toEqual([]);
    expect(end.filter((l) => / Created snapshot c\d-/.test(l)).length, end.join("\n")).toBe(10);
    expect(end.at(-1)).toMatch(/^\[create_snap\] Snapshots created: 10, accepted: 0, failed: 0/);
  });
});

describe("--log-format json", () => {
  it("every stderr line is one JSON object: time, level, task, host and collection when known, message", async () => {
    const dir = await tempDir("log-json");
    const r = await rig.run(["create_snap", "--log-format", "json", "--verbose"], dir);
    expectExit(r, 0);
    const lines = r.stderr
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines.length).toBeGreaterThan(10);
    for (const l of lines) {
      expect(
        Object.keys(l).filter((k) => !["time", "level", "task", "host", "collection", "message"].includes(k)),
      ).toEqual([]);
      expect(new Date(l["time"]!).toISOString()).toBe(l["time"]);
      expect(["info", "warning", "error", "debug"]).toContain(l["level"]);
    }
    const created = lines.find((l) => l["message"]?.startsWith("Created snapshot ") && l["collection"] === "c3");
    expect(created).toMatchObject({ level: "info", task: "create_snap", host: rig.source.urls[0] });
    expect(lines.filter((l) => l["level"] === "debug" && l["collection"] !== undefined).length).toBeGreaterThan(0);
    // A progress line is about the task, not about the item whose end brought it.
    const last = lines.find((l) => l["message"]?.startsWith("progress create_snap: 10/10"));
    expect(last).toMatchObject({ task: "create_snap" });
    expect(last).not.toHaveProperty("collection");
    expect(last).not.toHaveProperty("host");
  });

  it("secrets echoed by Qdrant are redacted in the JSON lines as in the text ones", async () => {
    const dir = await tempDir("log-json-secrets");
    const echo =
      `Wrong input: api-key ${rig.apiKey} refused; s3 secret ${s3.secretKey}; ` +
      "location https://b.s3.amazonaws.com/a/b.snapshot?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260129&X-Amz-Signature=0123456789abcdef";
    const remove = rig.source.faults.add({
      method: "POST",
      path: "/collections/c1/snapshots",
      status: 400,
      error: echo,
    });
    const r = await rig.run(["create_snap"], dir, rig.env({ QDRANT_LOG_FORMAT: "json" }));
    remove();
    expectExit(r, 3);
    const lines = r.stderr
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, string>);
    const failed = lines.find((l) => l["level"] === "error" && l["collection"] === "c1");
    expect(failed?.["message"]).toContain("refused");
    expect(failed?.["message"]).toContain("<redacted>");
    expect(r.stderr).not.toContain("AKIAEXAMPLE");
    expect(r.stderr).not.toContain("0123456789abcdef");
  });

  it("a bad --log-format or QDRANT_LOG_FORMAT: exit 2, a line naming it", async () => {
    const dir = await tempDir("log-json-bad");
    const flag = await rig.run(["create_snap", "--log-format", "xml"], dir);
    expectExit(flag, 2);
    expect(flag.stderr).toMatch(/--log-format <format>' argument 'xml' is invalid\. expected text or json/);
    const variable = await rig.run(["create_snap"], dir, rig.env({ QDRANT_LOG_FORMAT: "xml" }));
    expectExit(variable, 2);
    expect(variable.stderr).toMatch(/QDRANT_LOG_FORMAT: expected text or json, got "xml"/);
  });
});
