/**
 * What a lock file says about its holder, and how the next run judges it: parsing, describing for people, and the
 * staleness rules (a heartbeat older than QDRANT_LOCK_TTL, whatever the host; or this host's PID gone).
 */
import { parseJsonObject } from "../lib/json.js";
import { codeOf } from "../lib/fs.js";

export const TOOL_NAME = "qdrant-backup-restore";

/** What a lock file says about its holder. */
export interface LockHolder {
  tool: string;
  host: string;
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  tasks: string[];
  /** ISO 8601, by the holder's clock: refreshed every QDRANT_LOCK_TTL/3 while the run lives. Absent in locks of versions before the heartbeat. */
  heartbeatAt?: string;
  /** Random per run: a run refreshes and releases only a lock carrying its own runId. Absent in older locks. */
  runId?: string;
}

/** "pid 1234 on host h (create_snap) since 2026-…, 3 min ago". */
export function describeHolder(h: LockHolder, now: Date): string {
  const tasks = h.tasks.length ? ` (${h.tasks.join(" ")})` : "";
  return `pid ${h.pid} on host ${h.host}${tasks} since ${h.startedAt}, ${formatAge(now.getTime() - Date.parse(h.startedAt))} ago`;
}

/** A span for people: `42 s`, `3 min`, `5 h`, `2 d` (negative spans, from clock skew, read as 0 s). */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** process.kill(pid, 0): ESRCH means no such process; EPERM means it runs under another user. */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return codeOf(err) !== "ESRCH";
  }
}

/** Parses a lock file's JSON into a checked holder, or undefined. */
export function parseHolder(raw: Uint8Array): LockHolder | undefined {
  const v = parseJsonObject(raw);
  if (v === undefined) return undefined;
  const { tool, host, pid, startedAt, tasks, heartbeatAt, runId } = v;
  if (
    typeof tool !== "string" ||
    typeof host !== "string" ||
    typeof startedAt !== "string" ||
    Number.isNaN(Date.parse(startedAt))
  )
    return undefined;
  // PID 0 or negative would make process.kill signal a whole process group.
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  // A heartbeat that is there but unreadable makes the lock unreadable (held), never "older than any TTL".
  if (heartbeatAt !== undefined && (typeof heartbeatAt !== "string" || Number.isNaN(Date.parse(heartbeatAt))))
    return undefined;
  const taskList = Array.isArray(tasks) ? tasks.filter((t): t is string => typeof t === "string") : [];
  return {
    tool,
    host,
    pid,
    startedAt,
    tasks: taskList,
    ...(heartbeatAt !== undefined ? { heartbeatAt } : {}),
    ...(typeof runId === "string" ? { runId } : {}),
  };
}

/** How a run looking for the lock judges a holder (its clock, host and PID, the TTL). */
export interface StaleRules {
  now: Date;
  host: string;
  pid: number;
  ttlMs: number;
  isAlive: (pid: number) => boolean;
}

/**
 * Why `h` is stale, for the warning, or undefined when it is held:
 * - its heartbeat is older than the TTL, whatever host it names (a lock without a heartbeat, from a version before
 *   it, is judged by its start time: that version never rewrote its lock);
 * - it names this host and a PID that no longer runs (or this very PID, which is then a new process, e.g. a
 *   container's PID 1 again).
 */
export function staleReason(h: LockHolder, r: StaleRules): string | undefined {
  const beat = h.heartbeatAt ?? h.startedAt;
  const age = r.now.getTime() - Date.parse(beat);
  if (age > r.ttlMs) {
    const what =
      h.heartbeatAt !== undefined
        ? `its last heartbeat was ${formatAge(age)} ago`
        : `it has no heartbeat (an older version's lock) and started ${formatAge(age)} ago`;
    return `${what}, more than QDRANT_LOCK_TTL (${formatAge(r.ttlMs)})`;
  }
  if (h.host === r.host && (h.pid === r.pid || !r.isAlive(h.pid))) return "that process no longer runs";
  return undefined;
}
