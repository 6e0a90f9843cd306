// Starts Ceph's RADOS Gateway as a throwaway single-node cluster on loopback (one monitor, one memstore OSD, one
// gateway) in a temporary directory, and stops exactly what it started. Installs nothing: the Debian packages must be
// there (RGW_INSTALL_LINE), or startRgw fails with one line naming them.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import {
  accessSync,
  appendFileSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { createTestS3Client } from "./client.js";
import type { S3ServerInfo } from "./launcher.js";
import { RGW_INSTALL_LINE, RGW_PROGRAMS, RGW_SUBDIRS, renderCephConf } from "./rgw-config.js";

export interface RgwServer extends S3ServerInfo {
  /** The PIDs of the monitor, the OSD and the gateway, in start order. */
  pids: number[];
  /** SIGTERM to the daemons in reverse start order, each given STOP_GRACE_MS, then SIGKILL; removes the directory. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const STORE_BYTES = 4 * 1024 ** 3;

/** The programs of RGW_PROGRAMS not found on PATH, as "program (package)". */
export function findMissingRgwPrograms(searchPath = process.env["PATH"] ?? ""): string[] {
  const dirs = searchPath.split(path.delimiter).filter((d) => d !== "");
  const found = (program: string): boolean =>
    dirs.some((d) => {
      try {
        accessSync(path.join(d, program), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return Object.entries(RGW_PROGRAMS)
    .filter(([program]) => !found(program))
    .map(([program, pkg]) => `${program} (${pkg})`);
}

interface Daemon {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Starts the cluster and a user with fresh random keys; ready when a signed ListBuckets answers 200. */
export async function startRgw(): Promise<RgwServer> {
  const missing = findMissingRgwPrograms();
  if (missing.length > 0) {
    throw new Error(
      `Ceph's RADOS Gateway is not installed (missing ${missing.join(", ")}); install it with: ${RGW_INSTALL_LINE}`,
    );
  }
  const dir = mkdtempSync(path.join(tmpdir(), "rgw-"));
  const conf = path.join(dir, "ceph.conf");
  const daemons: Daemon[] = [];
  const watchdog = startWatchdog(dir);
  const stop = async () => {
    watchdog.kill("SIGTERM");
    await stopDaemons(daemons);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const fsid = randomUUID();
    const [monPort, rgwPort] = [await findFreePort(), await findFreePort()];
    for (const sub of RGW_SUBDIRS) mkdirSync(path.join(dir, sub), { recursive: true });
    writeFileSync(conf, renderCephConf({ fsid, dir, monPort, rgwPort, storeBytes: STORE_BYTES }));
    const c = ["-c", conf];
    const monmap = path.join(dir, "monmap");
    await runTool(dir, "monmaptool", ["--create", "--fsid", fsid, "--addv", "a", `[v2:127.0.0.1:${monPort}]`, monmap]);
    await runTool(dir, "ceph-mon", [...c, "--mkfs", "-i", "a", "--monmap", monmap]);
    daemons.push(spawnDaemon(dir, "ceph-mon", [...c, "-i", "a", "-f"]));
    const osdUuid = randomUUID();
    const osdId = (await runTool(dir, "ceph", [...c, "--connect-timeout", "20", "osd", "new", osdUuid])).trim();
    if (!/^\d+$/.test(osdId)) throw new Error(`ceph osd new answered ${JSON.stringify(osdId)}, not an OSD id`);
    await runTool(dir, "ceph-osd", [...c, "-i", osdId, "--mkfs", "--osd-uuid", osdUuid]);
    daemons.push(spawnDaemon(dir, "ceph-osd", [...c, "-i", osdId, "-f"]));
    const gateway = spawnDaemon(dir, "radosgw", [...c, "-n", "client.rgw.a", "-f"]);
    daemons.push(gateway);
    const accessKey = `AK${randomBytes(9).toString("hex").toUpperCase()}`;
    const secretKey = randomBytes(24).toString("base64url");
    await runTool(dir, "radosgw-admin", [
      ...c,
      "user",
      "create",
      "--uid",
      "tests",
      "--display-name",
      "tests",
      "--access-key",
      accessKey,
      "--secret-key",
      secretKey,
    ]);
    const info: S3ServerInfo = { endpoint: `http://127.0.0.1:${rgwPort}`, accessKey, secretKey, region: "us-east-1" };
    await waitUntilServing(info, rgwPort, gateway, daemons, dir);
    return { ...info, pids: daemons.map((d) => d.child.pid ?? -1), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until the gateway's own PID holds its port and a signed request answers 200; a daemon's exit fails at once. */
async function waitUntilServing(
  info: S3ServerInfo,
  port: number,
  gateway: Daemon,
  daemons: Daemon[],
  dir: string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const client = createTestS3Client(info, {
    maxAttempts: 1,
    requestHandler: { requestTimeout: 2_000, connectionTimeout: 1_000 },
  });
  let last = "nothing answered yet";
  try {
    while (Date.now() < deadline) {
      const dead = daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null);
      if (dead)
        throw new Error(
          `${dead.name} exited during start-up (${dead.child.exitCode ?? dead.child.signalCode})${logTail(dir, dead.name)}`,
        );
      const holder = listeningPid(port);
      if (holder !== undefined && holder !== gateway.child.pid) {
        throw new Error(
          `port ${port} is held by pid ${holder}, not by the gateway (pid ${gateway.child.pid}): another server took it`,
        );
      }
      if (holder !== undefined) {
        try {
          const reply = await client.send(new ListBucketsCommand({}));
          if (reply.$metadata.httpStatusCode === 200) return;
        } catch (err) {
          last = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `the gateway did not serve a signed request within ${READY_TIMEOUT_MS} ms (last: ${last})${logTail(dir, "radosgw")}`,
    );
  } finally {
    client.destroy();
  }
}

/** The PID whose file descriptors hold the TCP socket listening on 127.0.0.1:port, or undefined (Linux /proc). */
export function listeningPid(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inode = readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .find((f) => f[1] === `0100007F:${hexPort}` && f[3] === "0A")?.[9];
  if (inode === undefined) return undefined;
  const link = `socket:[${inode}]`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readdirSync(`/proc/${entry}/fd`).some((fd) => readlinkSync(`/proc/${entry}/fd/${fd}`) === link))
        return Number(entry);
    } catch {
      // a process that exited meanwhile, or one we may not inspect
    }
  }
  return undefined;
}

/**
 * A shell that outlives this process only to SIGKILL the daemons listed in `<dir>/daemons.pids` and remove `dir`
 * when this process dies without stopping them (a killed test run leaves no cluster behind). stop() ends it first.
 */
function startWatchdog(dir: string): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
for p in $(cat "$1/daemons.pids" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
rm -rf "$1"`;
  const child = spawn("sh", ["-c", script, "rgw-watchdog", dir], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

function spawnDaemon(dir: string, program: string, args: string[]): Daemon {
  const child = spawn(program, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  if (child.pid !== undefined) appendFileSync(path.join(dir, "daemons.pids"), `${child.pid}\n`);
  child.stderr?.resume();
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  return { name: program, child, exited };
}

/** Runs a set-up tool to completion (bounded); its stderr tail is in the error. */
function runTool(dir: string, program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { cwd: dir, timeout: COMMAND_TIMEOUT_MS, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err)
        reject(
          new Error(
            `${program} ${args
              .filter((a) => !a.startsWith(dir))
              .slice(2, 5)
              .join(" ")} failed: ${err.message.split("\n")[0]}\n${String(stderr).slice(-2000)}`,
          ),
        );
      else resolve(String(stdout));
    });
  });
}

async function stopDaemons(daemons: Daemon[]): Promise<void> {
  for (const d of [...daemons].reverse()) {
    if (d.child.exitCode !== null || d.child.signalCode !== null || d.child.pid === undefined) continue;
    d.child.kill("SIGTERM");
    const timer = setTimeout(() => d.child.kill("SIGKILL"), STOP_GRACE_MS);
    await d.exited;
    clearTimeout(timer);
  }
}

function logTail(dir: string, daemon: string): string {
  const file = { "ceph-mon": "mon.a", "ceph-osd": "osd.0", radosgw: "client.rgw.a" }[daemon];
  try {
    return `\n--- ${file}.log (tail) ---\n${readFileSync(path.join(dir, "log", `${file}.log`), "utf8").slice(-3000)}`;
  } catch {
    return "";
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
