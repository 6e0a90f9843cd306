// The progress renderers without a process: the plain lines' cadence under a fake clock, the live frames drawn on a
// fake terminal, and the item names the Tally reports.
import { describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { countedStream, inItem, itemName, NO_PROGRESS } from "../../src/backup/task/progress.js";
import { Tally } from "../../src/backup/task/tally.js";
import { createLiveProgress } from "../../src/progress/live.js";
import { formatBytes } from "../../src/lib/bytes.js";
import { formatSeconds } from "../../src/progress/model.js";
import { createPlainProgress } from "../../src/progress/plain.js";
import { createHostScheduler } from "../../src/lib/host-scheduler.js";
import { itemContext, withItemContext } from "../../src/lib/item-context.js";
import { Redactor } from "../../src/lib/redact.js";
import { createLogger } from "../../src/log.js";

/** A plain reporter on a fake clock: `advance` moves time and fires the ticks that fall due. */
function plainRig(intervalSeconds: number) {
  let now = 0;
  const lines: string[] = [];
  let tick: { ms: number; next: number; fn: () => void } | undefined;
  const progress = createPlainProgress({
    intervalSeconds,
    line: (l) => lines.push(`${now / 1000}s ${l}`),
    now: () => now,
    every: (ms, fn) => {
      tick = { ms, next: now + ms, fn };
      return () => (tick = undefined);
    },
  });
  const advance = (ms: number) => {
    const end = now + ms;
    while (tick && tick.next <= end) {
      now = tick.next;
      tick.next += tick.ms;
      tick.fn();
    }
    now = end;
  };
  return { progress, lines, advance, ticking: () => tick !== undefined };
}

describe("plain progress lines", () => {
  it("one line at every tenth of the items, none between", () => {
    const { progress, lines, advance } = plainRig(3600);
    progress.start("create_snap", 20);
    for (let i = 0; i < 20; i++) {
      progress.begin(`c${i} on h`);
      advance(100);
      progress.end(`c${i} on h`, i === 4 ? "failed" : "done");
    }
    progress.finish();
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe("0.2s progress create_snap: 2/20 items (10%), 0 failed, 0 in flight, ETA 2s");
    expect(lines[2]).toBe("0.6s progress create_snap: 6/20 items (30%), 1 failed, 0 in flight, ETA 1s");
    expect(lines.at(-1)).toBe("2s progress create_snap: 20/20 items (100%), 1 failed, 0 in flight");
  });

  it("a line every interval while nothing ends, naming the items in flight (three, then a count)", () => {
    const { progress, lines, advance } = plainRig(30);
    progress.start("recover_snap", 100);
    for (const c of ["a", "b", "c", "d", "e"]) progress.begin(`${c} on h`);
    progress.bytes("a on h", 3 * 1024 * 1024);
    advance(29_000);
    expect(lines).toEqual([]);
    advance(1_000);
    expect(lines).toEqual([
      "30s progress recover_snap: 0/100 items (0%), 0 failed, 5 in flight (a on h, b on h, c on h, +2 more), 3.0 MiB (102.4 KiB/s on average)",
    ]);
    advance(65_000);
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["30s", "60s", "90s"]);
  });

  it("a tenth's line restarts the interval: the next timed line comes a full interval after it", () => {
    const { progress, lines, advance } = plainRig(10);
    progress.start("create_snap", 10);
    advance(7_000);
    progress.end("x", "done");
    advance(9_000);
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["7s"]);
    advance(1_000);
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["7s", "17s"]);
  });

  it("without a total: counts only, no percentage and no ETA; the timer stops with the task", () => {
    const { progress, lines, advance, ticking } = plainRig(5);
    progress.start("recover_full_snap");
    progress.end("c1 on h", "done");
    progress.end("c2 on h", "skipped");
    advance(5_000);
    expect(lines).toEqual(["5s progress recover_full_snap: 2 items, 0 failed, 0 in flight"]);
    progress.finish();
    expect(ticking()).toBe(false);
    advance(60_000);
    expect(lines).toHaveLength(1);
  });
});

describe("the live display", () => {
  it("draws the counts and the items in flight in place on the terminal, writes log lines above, erases itself at the end", () => {
    let out = "";
    let now = 0;
    const live = createLiveProgress(
      { write: (s) => ((out += s), true), columns: 80, rows: 20, isTTY: true },
      () => now,
    );
    live.start("create_snap", 4);
    live.begin("alpha on http://q1:6333");
    live.begin("beta on http://q1:6333");
    now = 2_000;
    live.bytes("alpha on http://q1:6333", 2048);
    live.end("beta on http://q1:6333", "done");
    expect(out).toContain(
      "create_snap: 1/4 items (25%), 0 failed, 1 in flight, 2.0 KiB, ETA 6s\n  alpha on http://q1:6333  2.0 KiB",
    );
    out = "";
    live.line("[2026-12-07 19:00:00] Created snapshot a");
    // The frame is erased, the line written, the frame drawn again under it.
    expect(out.indexOf("\u001b[2K")).toBeLessThan(out.indexOf("Created snapshot a"));
    expect(out.indexOf("Created snapshot a")).toBeLessThan(out.indexOf("create_snap: 1/4"));
    out = "";
    live.finish();
    // log-update's erase: each line of the frame cleared, moving up, then the cursor back to the first column.
    const E = "\u001b";
    expect(out.replaceAll(`${E}[?2026h`, "").replaceAll(`${E}[?2026l`, "")).toBe(
      `${E}[2K${E}[1A`.repeat(2) + `${E}[2K${E}[G`,
    );
    expect(out).not.toContain("create_snap");
    out = "";
    live.line("after the task");
    expect(out).toBe("after the task\n");
  });
});

describe("item names", () => {
  it("name an item by what is known when it begins, so its Tally row ends it", () => {
    expect(itemName({ host: "http://h:6333", collection: "c" })).toBe("c on http://h:6333");
    expect(itemName({ host: "http://h:6333", snapshot: "full.snapshot" })).toBe("http://h:6333");
    expect(itemName({ snapshot: "c-1.snapshot" })).toBe("c-1.snapshot");
    expect(itemName({ collection: "c", target: "http://t:6333" })).toBe("c on http://t:6333");
    const ended: string[] = [];
    const tally = new Tally("create_snap", {
      start: () => undefined,
      grow: () => undefined,
      begin: () => undefined,
      bytes: () => undefined,
      end: (name, outcome) => ended.push(`${name} ${outcome}`),
      finish: () => undefined,
    });
    tally.add("done", { host: "http://h:6333", collection: "c", snapshot: "c-1.snapshot", sha256: "ab" });
    expect(ended).toEqual(["c on http://h:6333 done"]);
    expect(tally.finish("m")).toMatchObject({ done: 1, items: [{ host: "http://h:6333", outcome: "done" }] });
  });

  it("formats bytes and durations", () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(["512 B", "1.5 KiB", "5.0 GiB"]);
    expect([formatSeconds(42), formatSeconds(75), formatSeconds(4000)]).toEqual(["42s", "1m15s", "1h06m"]);
  });
});

describe("the item context (the host and collection of a log line)", () => {
  it("follows work queued in a host slot, not the work that freed the slot", async () => {
    const scheduler = createHostScheduler({ perHost: 1, total: 1 });
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    let started = (): void => undefined;
    const running = new Promise<void>((r) => (started = r));
    const seen: (string | undefined)[] = [];
    const first = withItemContext({ collection: "a" }, () =>
      scheduler.run("h", 0, async () => {
        seen.push(itemContext().collection);
        started();
        await held;
      }),
    );
    const second = withItemContext({ collection: "b" }, () =>
      scheduler.run("h", 1, async () => {
        seen.push(itemContext().collection);
      }),
    );
    await running;
    release(); // a's end starts b, from a's context
    await Promise.all([first, second]);
    expect(seen).toEqual(["a", "b"]);
  });

  it("gives JSON log lines their task, host and collection", () => {
    const lines: string[] = [];
    const log = createLogger({
      level: "normal",
      sink: (l) => lines.push(l),
      redactor: new Redactor(),
      now: () => new Date("2026-12-07T19:00:00.000Z"),
      format: () => "json",
    });
    withItemContext({ task: "create_snap" }, () =>
      withItemContext({ host: "http://h:6333", collection: "c" }, () => log.warn("two\nlines")),
    );
    expect(lines).toEqual([
      '{"time":"2026-12-07T19:00:00.000Z","level":"warning","task":"create_snap","host":"http://h:6333","collection":"c","message":"two\\nlines"}',
    ]);
  });
});

describe("bytes", () => {
  it("a counted stream counts what flows through it for the item it was made in, and passes a source error on", async () => {
    const counted: string[] = [];
    const progress = { ...NO_PROGRESS, bytes: (name: string, n: number) => counted.push(`${name} ${n}`) };
    const out = await inItem(progress, { host: "http://h:6333", collection: "c" }, async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of countedStream(Readable.from([Buffer.alloc(3), Buffer.alloc(5)])))
        chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).length;
    });
    expect(out).toBe(8);
    expect(counted).toEqual(["c on http://h:6333 3", "c on http://h:6333 5"]);
    const failing = new Readable({ read: () => undefined });
    const body = countedStream(failing);
    failing.destroy(new Error("EIO"));
    await expect(async () => {
      for await (const _ of body) void _;
    }).rejects.toThrow("EIO");
  });
});
