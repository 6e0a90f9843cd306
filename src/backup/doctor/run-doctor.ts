// doctor: every check in order (the variables, each Qdrant host, the destination, then --probe-write), one line each.
// Read-only but for its probes (objects under doctor-probe/{id}/, a file in QDRANT_BACKUP_DIR, a probe collection),
// each removed on every path before it returns.
import { EXIT } from "../../errors.js";
import { createS3Client } from "../../s3/client.js";
import type { Deps } from "../task/deps.js";
import { fail, ok, probeId, warn, type Check } from "./check.js";
import { checkBackupDir } from "./dir-checks.js";
import { checkProbeWrite } from "./probe-write.js";
import { checkHost, configuredHosts } from "./qdrant-checks.js";
import { checkConditionalWrites, checkMultipart } from "./s3-behaviour.js";
import { checkBucket, checkList, checkObjectRoundTrip, checkPresigned } from "./s3-checks.js";
import { S3Probe } from "./s3-probe.js";

/** Longest wait of one S3 request of doctor's, ms (CURL_TIMEOUT when shorter): a diagnosis must not hang for 30 min. */
const S3_REQUEST_LIMIT_MS = 60_000;

export interface DoctorOptions {
  /** Also check that Qdrant writes its snapshots to the bucket (creates and removes a probe collection). */
  readonly probeWrite: boolean;
  /** Called with each check as it is made. */
  readonly onCheck?: (check: Check) => void;
}

export async function runDoctor(deps: Deps, options: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (...more: Check[]) => {
    for (const c of more) {
      checks.push(c);
      options.onCheck?.(c);
    }
  };
  const id = probeId(deps.clock());
  add(checkVariables(deps, options.probeWrite));
  for (const { host, vars } of configuredHosts(deps)) add(...(await checkHost(deps, host, vars)));
  const { config } = deps;
  if (config.backupDir !== undefined && config.s3.bucket === undefined) add(await checkBackupDir(config.backupDir, id));
  if (config.s3.bucket !== undefined) await checkS3(deps, config.s3.bucket, id, options.probeWrite, add);
  return checks;
}

function checkVariables(deps: Deps, probeWrite: boolean): Check {
  const { config } = deps;
  const { bucket, endpoint } = config.s3;
  const dest =
    bucket !== undefined
      ? `destination s3://${bucket} at ${endpoint ?? "AWS"} (${config.s3.region})`
      : config.backupDir !== undefined
        ? `destination directory ${config.backupDir}`
        : "no destination";
  const hosts = `source hosts ${config.sourceHosts.join(", ") || "none"}; restore hosts ${config.restoreHosts.join(", ") || "none"}`;
  const detail = `valid; ${dest}; ${hosts}${config.stateS3Prefix ? `; state mirrored at s3://${bucket}/${config.stateS3Prefix}` : ""}`;
  if (bucket !== undefined && config.backupDir !== undefined)
    return fail("variables", detail, "set QDRANT_S3_BUCKET_NAME or QDRANT_BACKUP_DIR, not both", EXIT.usage);
  if (probeWrite && (bucket === undefined || config.sourceHosts.length === 0))
    return fail("variables", detail, "--probe-write needs QDRANT_SOURCE_HOSTS and QDRANT_S3_BUCKET_NAME", EXIT.usage);
  if (bucket === undefined && config.backupDir === undefined)
    return warn("variables", detail, "set QDRANT_S3_BUCKET_NAME (S3) or QDRANT_BACKUP_DIR (a directory)");
  if (config.sourceHosts.length === 0 && config.restoreHosts.length === 0)
    return warn("variables", detail, "set QDRANT_SOURCE_HOSTS and/or QDRANT_RESTORE_HOSTS");
  return ok("variables", detail);
}

async function checkS3(
  deps: Deps,
  bucket: string,
  id: string,
  probeWrite: boolean,
  add: (...c: Check[]) => void,
): Promise<void> {
  const { config } = deps;
  const timeoutMs = Math.min(config.requestTimeoutMs, S3_REQUEST_LIMIT_MS);
  const client = createS3Client({ ...config, requestTimeoutMs: timeoutMs }, deps.log);
  const probe = new S3Probe(client, bucket, `doctor-probe/${id}/`);
  try {
    const head = await checkBucket(client, bucket, config.s3.endpoint ?? "AWS");
    add(head);
    if (head.verdict === "FAIL") return;
    add(await checkList(client, bucket));
    add(await checkObjectRoundTrip(probe));
    add(await checkMultipart(probe));
    add(...(await checkPresigned(probe, timeoutMs, deps.clock)));
    add(await checkConditionalWrites(probe, config.stateS3Prefix !== undefined));
    if (probeWrite && config.sourceHosts.length > 0) {
      if (config.transfer)
        add(ok("probe write", "not needed: with QDRANT_SNAPSHOT_TRANSFER=true the tool streams snapshots itself"));
      else add(await checkProbeWrite(deps, client, bucket, id));
    }
  } finally {
    await probe.cleanup(deps.log);
    client.destroy();
  }
}
