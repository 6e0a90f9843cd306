// doctor's Qdrant checks, per host of QDRANT_SOURCE_HOSTS and QDRANT_RESTORE_HOSTS: reachable and its version, the API
// key accepted, a read-only key, and the cluster's peers reachable on QDRANT_HTTP_PORT.
import { QdrantError } from "../../qdrant/errors.js";
import { peerHttpUrl } from "../peers.js";
import type { Deps } from "../task/deps.js";
import { fail, messageOf, ok, warn, type Check } from "./check.js";

/** A full-snapshot name no node has: deleting it changes nothing, and tells a manage key (404) from a read-only one (403). */
const NO_SUCH_SNAPSHOT = "qdrant-backup-restore-doctor-no-such.snapshot";

/** Every configured host once, with the variables that name it. */
export function configuredHosts(deps: Deps): { host: string; vars: string }[] {
  const { sourceHosts, restoreHosts } = deps.config;
  const hosts = [...new Set([...sourceHosts, ...restoreHosts])];
  return hosts.map((host) => ({
    host,
    vars: [
      sourceHosts.includes(host) ? "QDRANT_SOURCE_HOSTS" : undefined,
      restoreHosts.includes(host) ? "QDRANT_RESTORE_HOSTS" : undefined,
    ]
      .filter((v) => v !== undefined)
      .join(" and "),
  }));
}

/** The checks of one host; after a check that leaves the rest meaningless (unreachable, key refused) none follow. */
export async function checkHost(deps: Deps, host: string, vars: string): Promise<Check[]> {
  const name = `qdrant ${host}`;
  const checks: Check[] = [];
  try {
    checks.push(ok(`${name} reachable`, `Qdrant ${await deps.qdrant.getVersion(host)}`));
  } catch (err) {
    return [fail(`${name} reachable`, messageOf(err), `check the URL in ${vars} and that the node is up`)];
  }
  const key = await checkKey(deps, host, name);
  checks.push(key);
  if (key.verdict === "FAIL") return checks;
  checks.push(await checkManage(deps, host, name));
  checks.push(...(await checkPeers(deps, host, name)));
  return checks;
}

async function checkKey(deps: Deps, host: string, name: string): Promise<Check> {
  const check = `${name} API key`;
  try {
    const collections = await deps.qdrant.listCollections(host);
    const what = deps.config.apiKey === undefined ? "no QDRANT_API_KEY set, none needed" : "QDRANT_API_KEY accepted";
    return ok(check, `${what} (${collections.length} collections)`);
  } catch (err) {
    if (err instanceof QdrantError && (err.status === 401 || err.status === 403))
      return fail(
        check,
        `${deps.config.apiKey === undefined ? "no QDRANT_API_KEY set" : "QDRANT_API_KEY refused"} (HTTP ${err.status})`,
        "set QDRANT_API_KEY to the node's service.api_key",
      );
    return fail(check, messageOf(err), "see the node's log");
  }
}

/** A manage-only call that changes nothing: a read-only key gets 403, a manage key 404 (no such snapshot). */
async function checkManage(deps: Deps, host: string, name: string): Promise<Check> {
  const check = `${name} write access`;
  try {
    await deps.qdrant.deleteSnapshot(host, { kind: "full", name: NO_SUCH_SNAPSHOT }, true);
    return ok(check, "the key may manage snapshots");
  } catch (err) {
    if (err instanceof QdrantError && err.status === 404) return ok(check, "the key may manage snapshots");
    if (err instanceof QdrantError && err.status === 403)
      return fail(
        check,
        "QDRANT_API_KEY is a read-only key (HTTP 403 on a snapshot delete)",
        "set QDRANT_API_KEY to the node's service.api_key, not its read_only_api_key",
      );
    return warn(check, `could not tell: ${messageOf(err)}`, "see the node's log");
  }
}

/** In cluster mode, every peer of GET /cluster answers GET / on QDRANT_HTTP_PORT (create_snap_shards talks to each). */
async function checkPeers(deps: Deps, host: string, name: string): Promise<Check[]> {
  const check = `${name} cluster peers`;
  let peers: string[];
  try {
    const cluster = await deps.qdrant.getCluster(host);
    if (cluster.status === "disabled") return [ok(check, "standalone node (cluster disabled)")];
    peers = Object.values(cluster.peers).map(({ uri }) => peerHttpUrl(uri, deps.config.httpPort));
  } catch (err) {
    return [fail(check, `GET /cluster: ${messageOf(err)}`, "see the node's log")];
  }
  const down: string[] = [];
  for (const peer of peers) {
    try {
      await deps.qdrant.getVersion(peer);
    } catch (err) {
      down.push(`${peer} (${messageOf(err)})`);
    }
  }
  if (down.length === 0)
    return [ok(check, `${peers.length} peers answer on QDRANT_HTTP_PORT ${deps.config.httpPort}: ${peers.join(", ")}`)];
  return [
    fail(
      check,
      `${down.length} of ${peers.length} peers do not answer on QDRANT_HTTP_PORT ${deps.config.httpPort}: ${down.join("; ")}`,
      "set QDRANT_HTTP_PORT to the peers' HTTP port and make the peers' addresses reachable from here",
    ),
  ];
}
