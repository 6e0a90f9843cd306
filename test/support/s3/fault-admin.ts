// Client side of the fault-injection admin route; usable from global setup and from test workers.
import { FAULTS_PATH, type S3FaultSpec } from "./fault-spec.js";

/** Installs a fault rule on the server at endpoint (global, or for spec.bucket only). */
export async function setS3Faults(endpoint: string, spec: S3FaultSpec): Promise<void> {
  await postFaults(endpoint, spec);
}

/** Removes the fault rule of one bucket, or every rule when bucket is omitted. */
export async function clearS3Faults(endpoint: string, bucket?: string): Promise<void> {
  await postFaults(endpoint, bucket === undefined ? { clear: true } : { clear: true, bucket });
}

async function postFaults(endpoint: string, body: object): Promise<void> {
  const response = await fetch(new URL(FAULTS_PATH, endpoint), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${FAULTS_PATH} answered ${response.status}: ${await response.text()}`);
  await response.body?.cancel();
}
