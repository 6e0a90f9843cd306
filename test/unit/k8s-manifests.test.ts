// The Kubernetes manifests in k8s/, read statically (no cluster, no kubectl here): every document is a valid object
// of its kind with no unknown field, the kustomization lists exactly the manifests and the package's version, and
// the operational and security invariants the README promises hold: nightly backup without overlap or retries,
// suspended one-off Jobs, non-root read-only pods matching the image's user, secrets only through Secret refs,
// and only variables the CLI knows.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import type { IJobSpec } from "kubernetes-models/batch/v1/JobSpec";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { Secret } from "kubernetes-models/v1/Secret";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { buildConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { VARIABLE_NAMES, VARIABLES } from "../../src/variables.js";
import { numericUser, readPackage, ROOT, runtimeStage } from "../e2e/image.js";
import { createFieldChecker, KIND_TYPES, type KindKey } from "./k8s-fields.js";

const K8S = path.join(ROOT, "k8s");
const KUSTOMIZATION = "kustomization.yaml";
const MANIFEST_FILES = readdirSync(K8S)
  .filter((f) => /\.ya?ml$/.test(f) && f !== KUSTOMIZATION)
  .sort();
const { version: VERSION } = readPackage();
const image = runtimeStage();
const imageUser = numericUser(image.user);

/** Variables whose values must come from a Secret: the secret ones, and the S3 access key id and bucket name. */
const SECRET_VARS = new Set<string>([
  ...VARIABLES.filter((v) => "secret" in v && v.secret).map((v) => v.name),
  "QDRANT_S3_ACCESS_KEY_ID",
  "QDRANT_S3_BUCKET_NAME",
]);

interface Doc {
  where: string;
  key: string;
  value: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function loadDocs(file: string): Doc[] {
  const text = readFileSync(path.join(K8S, file), "utf8");
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  return list.flatMap((doc, i): Doc[] => {
    if (doc.errors.length > 0 || doc.warnings.length > 0)
      throw new Error(`${file} document ${i + 1}: ${[...doc.errors, ...doc.warnings].join("; ")}`);
    const value: unknown = doc.toJS();
    if (value === null) return []; // an empty document (e.g. a trailing ---)
    if (!isRecord(value)) throw new Error(`${file} document ${i + 1} is not a mapping`);
    return [{ where: `${file}#${i + 1}`, key: `${String(value["apiVersion"])}/${String(value["kind"])}`, value }];
  });
}

const docs = MANIFEST_FILES.flatMap(loadDocs);
const cronJobs: CronJob[] = [];
const jobs: Job[] = [];
const configMaps: ConfigMap[] = [];
const secrets: Secret[] = [];
const serviceAccounts: ServiceAccount[] = [];

/** The kubernetes-models object for `doc`; throws for a kind this test has no class for. */
function toModel(doc: Doc): CronJob | Job | ConfigMap | Secret | ServiceAccount {
  const v = doc.value;
  if (CronJob.is(v)) return new CronJob(v);
  if (Job.is(v)) return new Job(v);
  if (ConfigMap.is(v)) return new ConfigMap(v);
  if (Secret.is(v)) return new Secret(v);
  if (ServiceAccount.is(v)) return new ServiceAccount(v);
  throw new Error(`${doc.where}: no kubernetes-models class for ${doc.key}; add one to this test`);
}

for (const doc of docs) {
  const m = toModel(doc);
  if (m instanceof CronJob) cronJobs.push(m);
  else if (m instanceof Job) jobs.push(m);
  else if (m instanceof ConfigMap) configMaps.push(m);
  else if (m instanceof Secret) secrets.push(m);
  else serviceAccounts.push(m);
}

interface Workload {
  where: string;
  name: string;
  job: IJobSpec;
  pod: IPodSpec;
}

const workloads: Workload[] = [
  ...cronJobs.map((c) => ({
    where: `CronJob ${String(c.metadata?.name)}`,
    name: c.metadata?.name ?? "",
    job: c.spec?.jobTemplate.spec,
  })),
  ...jobs.map((j) => ({ where: `Job ${String(j.metadata?.name)}`, name: j.metadata?.name ?? "", job: j.spec })),
].map((w) => {
  if (w.job === undefined) throw new Error(`${w.where}: no job spec`);
  if (w.job.template.spec === undefined) throw new Error(`${w.where}: no pod spec`);
  return { ...w, job: w.job, pod: w.job.template.spec };
});
const containers = workloads.flatMap((w) =>
  [...(w.pod.initContainers ?? []), ...w.pod.containers].map((c) => ({
    where: `${w.where} container ${c.name}`,
    c,
    pod: w.pod,
  })),
);

const kustomization: unknown = parseYaml(readFileSync(path.join(K8S, KUSTOMIZATION), "utf8"), { uniqueKeys: true });

describe("k8s manifests: schema", () => {
  it("every document has a kind this test knows and validates with its kubernetes-models class", () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(Object.keys(KIND_TYPES), doc.where).toContain(doc.key);
      expect(() => toModel(doc).validate(), doc.where).not.toThrow();
    }
    expect(docs).toHaveLength(
      cronJobs.length + jobs.length + configMaps.length + secrets.length + serviceAccounts.length,
    );
  });

  const fields = createFieldChecker(ROOT);

  it("the strict field check rejects unknown fields (sanity check of this test)", () => {
    const cron = docs.find((d) => d.key === "batch/v1/CronJob");
    if (cron === undefined) throw new Error("no CronJob");
    const broken: unknown = JSON.parse(JSON.stringify(cron.value));
    if (
      !isRecord(broken) ||
      !isRecord(broken["spec"]) ||
      !isRecord(broken["spec"]["jobTemplate"]) ||
      !isRecord(broken["spec"]["jobTemplate"]["spec"])
    ) {
      throw new Error("unexpected CronJob shape");
    }
    broken["spec"]["jobTemplate"]["spec"]["backofLimit"] = 0;
    broken["spec"]["extra"] = { a: 1 };
    expect(fields.unknownFields("batch/v1/CronJob", broken)).toEqual([
      "spec.jobTemplate.spec.backofLimit: unknown field",
      "spec.extra: unknown field",
    ]);
    expect(
      fields.unknownFields("v1/ConfigMap", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { labels: { any: "label" } },
        data: { ANY: "x" },
      }),
    ).toEqual([]);
    expect(fields.unknownFields("v1/ConfigMap", { metadata: { name: "x", label: {} } })).toEqual([
      "metadata.label: unknown field",
    ]);
  });

  it("no document has a field its schema does not define (what kubectl's strict validation rejects)", () => {
    for (const doc of docs) expect(fields.unknownFields(doc.key as KindKey, doc.value), doc.where).toEqual([]);
  });

  it("names are unique per kind", () => {
    const seen = docs.map(
      (d) => `${d.key} ${String(isRecord(d.value["metadata"]) ? d.value["metadata"]["name"] : "")}`,
    );
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe("k8s/kustomization.yaml", () => {
  if (!isRecord(kustomization)) throw new Error("kustomization.yaml is not a mapping");
  const k = kustomization;

  it("is a Kustomization with only fields this setup uses", () => {
    expect(k["apiVersion"]).toBe("kustomize.config.k8s.io/v1beta1");
    expect(k["kind"]).toBe("Kustomization");
    const allowed = [
      "apiVersion",
      "kind",
      "namespace",
      "resources",
      "labels",
      "commonLabels",
      "commonAnnotations",
      "images",
    ];
    for (const key of Object.keys(k)) expect(allowed, key).toContain(key);
  });

  it("lists exactly the manifest files of k8s/", () => {
    const resources = k["resources"];
    if (!Array.isArray(resources)) throw new Error("resources is not a list");
    expect(resources).toHaveLength(new Set(resources).size);
    expect([...resources].sort()).toEqual(MANIFEST_FILES);
  });

  it("maps the manifests' image to a registry with the package version as tag", () => {
    const images = k["images"];
    if (!Array.isArray(images)) throw new Error("images is not a list");
    const names = new Set(containers.map(({ c }) => (c.image ?? "").replace(/[:@].*$/, "")));
    expect([...names]).toEqual(["qdrant-backup-restore"]);
    const entry: unknown = images.find((i) => isRecord(i) && i["name"] === "qdrant-backup-restore");
    if (!isRecord(entry)) throw new Error("no images entry for qdrant-backup-restore");
    expect(entry["newName"]).toMatch(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+$/);
    expect(entry["newTag"]).toBe(VERSION);
    for (const { where, c } of containers) {
      const tag = /:([^:/@]+)$/.exec(c.image ?? "")?.[1];
      if (tag !== undefined) expect(tag, where).toBe(VERSION);
    }
  });

  it("labels everything app.kubernetes.io/name: qdrant-backup-restore, without touching selectors", () => {
    const labels = k["labels"];
    const common = k["commonLabels"];
    const pairs = Array.isArray(labels)
      ? labels
          .filter(isRecord)
          .filter((l) => l["includeSelectors"] !== true)
          .map((l) => l["pairs"])
      : [common];
    expect(pairs).toContainEqual(expect.objectContaining({ "app.kubernetes.io/name": "qdrant-backup-restore" }));
  });
});

describe("k8s: backup schedule and job policy", () => {
  it("the CronJob qdrant-backup runs nightly at 02:00 UTC, never overlapping, with a start deadline and history limits", () => {
    expect(cronJobs.map((c) => c.metadata?.name)).toEqual(["qdrant-backup"]);
    for (const c of cronJobs) {
      expect(c.spec?.schedule).toBe("0 2 * * *");
      expect(c.spec?.timeZone).toBe("Etc/UTC");
      expect(c.spec?.concurrencyPolicy).toBe("Forbid");
      expect(c.spec?.suspend ?? false).toBe(false);
      expect(c.spec?.startingDeadlineSeconds).toBeGreaterThan(0);
      expect(c.spec?.successfulJobsHistoryLimit).toBeGreaterThanOrEqual(1);
      expect(c.spec?.failedJobsHistoryLimit).toBeGreaterThanOrEqual(1);
    }
  });

  it("the one-off Jobs qdrant-backup-once and qdrant-restore are created suspended (apply never starts them)", () => {
    expect(jobs.map((j) => j.metadata?.name).sort()).toEqual(["qdrant-backup-once", "qdrant-restore"]);
    for (const j of jobs) expect(j.spec?.suspend, j.metadata?.name).toBe(true);
  });

  it("every Job runs once: backoffLimit 0, restartPolicy Never, a deadline and a TTL", () => {
    expect(workloads).toHaveLength(3);
    for (const w of workloads) {
      expect(w.job.backoffLimit, w.where).toBe(0);
      expect(w.pod.restartPolicy, w.where).toBe("Never");
      expect(w.job.activeDeadlineSeconds, w.where).toBeGreaterThan(0);
      expect(w.job.ttlSecondsAfterFinished, w.where).toBeGreaterThan(0);
      expect(w.job.podFailurePolicy, w.where).toBeUndefined();
    }
  });

  it("backups run create_snap get_colla, the restore recover_snap recover_colla, through the image's ENTRYPOINT", () => {
    const want: Record<string, string[]> = {
      "qdrant-backup": ["create_snap", "get_colla"],
      "qdrant-backup-once": ["create_snap", "get_colla"],
      "qdrant-restore": ["recover_snap", "recover_colla"],
    };
    for (const w of workloads) {
      expect(w.pod.containers, w.where).toHaveLength(1);
      const c = w.pod.containers[0]!;
      expect(c.command, w.where).toBeUndefined();
      expect(c.args, w.where).toEqual(want[w.name]);
    }
  });
});

describe("k8s: pod security", () => {
  it("the ServiceAccount mounts no token, and every pod uses it and mounts no token either", () => {
    expect(serviceAccounts.map((s) => s.metadata?.name)).toEqual(["qdrant-backup-restore"]);
    expect(serviceAccounts[0]?.automountServiceAccountToken).toBe(false);
    for (const w of workloads) {
      expect(w.pod.serviceAccountName, w.where).toBe("qdrant-backup-restore");
      expect(w.pod.automountServiceAccountToken, w.where).toBe(false);
      expect(w.pod.enableServiceLinks, `${w.where}: no service-link variables next to the CLI's`).toBe(false);
      expect(w.pod.hostNetwork ?? false, w.where).toBe(false);
    }
  });

  it("pods run as the image's numeric non-root user and group, with the RuntimeDefault seccomp profile", () => {
    expect(imageUser, `Dockerfile USER ${String(image.user)}`).toBeDefined();
    for (const w of workloads) {
      const sc = w.pod.securityContext;
      expect(sc?.runAsNonRoot, w.where).toBe(true);
      expect(sc?.runAsUser, w.where).toBe(imageUser?.uid);
      expect(sc?.runAsUser, w.where).not.toBe(0);
      expect(sc?.runAsGroup, w.where).toBe(imageUser?.gid);
      expect(sc?.fsGroup, w.where).toBe(imageUser?.gid);
      expect(sc?.seccompProfile?.type, w.where).toBe("RuntimeDefault");
    }
  });

  it("containers: non-root, read-only root filesystem, no privilege escalation, all capabilities dropped", () => {
    expect(containers.length).toBeGreaterThan(0);
    for (const { where, c } of containers) {
      const sc = c.securityContext;
      expect(sc?.runAsNonRoot, where).toBe(true);
      expect(sc?.runAsUser, where).toBe(imageUser?.uid);
      expect(sc?.runAsUser, where).not.toBe(0);
      expect(sc?.readOnlyRootFilesystem, where).toBe(true);
      expect(sc?.allowPrivilegeEscalation, where).toBe(false);
      expect(sc?.privileged ?? false, where).toBe(false);
      expect(sc?.capabilities?.drop, where).toContain("ALL");
      expect(sc?.capabilities?.add ?? [], where).toEqual([]);
      if (sc?.seccompProfile !== undefined) expect(sc.seccompProfile.type, where).toBe("RuntimeDefault");
    }
  });

  it("containers request and limit CPU and memory, and pull the image only when missing", () => {
    for (const { where, c } of containers) {
      for (const kind of ["requests", "limits"] as const) {
        for (const res of ["cpu", "memory"])
          expect(c.resources?.[kind]?.[res], `${where} ${kind}.${res}`).toBeDefined();
      }
      expect(c.imagePullPolicy, where).toBe("IfNotPresent");
    }
  });

  it("the only writable paths are emptyDir volumes at the image's WORKDIR (/state) and /tmp, each size-limited", () => {
    expect(image.workdir).toBe("/state");
    for (const { where, c, pod } of containers) {
      const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
      expect([...mounts.keys()].sort(), where).toEqual(["/state", "/tmp"]);
      for (const [mountPath, m] of mounts) {
        const volume = (pod.volumes ?? []).find((v) => v.name === m.name);
        expect(volume?.emptyDir, `${where} ${mountPath}`).toBeDefined();
        expect(volume?.emptyDir?.sizeLimit, `${where} ${mountPath}`).toBeDefined();
        expect(m.readOnly ?? false, `${where} ${mountPath}`).toBe(false);
      }
      expect(c.workingDir ?? image.workdir, where).toBe("/state");
      // Paths the image points its ENV at (HOME) must be writable too.
      for (const [name, value] of Object.entries(image.env)) {
        if (value.startsWith("/"))
          expect(
            ["/state", "/tmp"].some((p) => value === p || value.startsWith(`${p}/`)),
            `${where} ${name}=${value}`,
          ).toBe(true);
      }
    }
  });
});

describe("k8s: configuration and secrets", () => {
  const configMapNames = new Set(configMaps.map((m) => m.metadata?.name));
  const secretNames = new Set(secrets.map((s) => s.metadata?.name));
  const secretKeys = (name: string | undefined): string[] => {
    const s = secrets.find((x) => x.metadata?.name === name);
    return [...Object.keys(s?.stringData ?? {}), ...Object.keys(s?.data ?? {})];
  };

  it("every env name, ConfigMap key and Secret key is a variable the CLI knows", () => {
    for (const { where, c } of containers)
      for (const e of c.env ?? []) expect(VARIABLE_NAMES.has(e.name), `${where} env ${e.name}`).toBe(true);
    for (const m of configMaps)
      for (const key of Object.keys(m.data ?? {})) expect(VARIABLE_NAMES.has(key), `ConfigMap ${key}`).toBe(true);
    for (const s of secrets)
      for (const key of secretKeys(s.metadata?.name)) expect(VARIABLE_NAMES.has(key), `Secret ${key}`).toBe(true);
    expect(configMaps.every((m) => m.binaryData === undefined)).toBe(true);
  });

  it("every variable-like name in k8s/ and k8s/monitoring/ (manifests, comments, README.md) is a variable the CLI knows", () => {
    // Words starting like one of the variables (QDRANT_…, GET_…, CURL_…, MC_…): a misspelt name is caught too.
    const prefixes = [...new Set([...VARIABLE_NAMES].map((n) => n.split("_")[0]))].join("|");
    const word = new RegExp(`\\b(?:${prefixes})_[A-Z0-9_]*\\b`, "g");
    const files = readdirSync(K8S, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(K8S, path.join(e.parentPath, e.name)));
    expect(files).toContain("monitoring/prometheus-rule.yaml");
    for (const file of files) {
      const text = readFileSync(path.join(K8S, file), "utf8");
      for (const m of text.matchAll(word)) expect(VARIABLE_NAMES.has(m[0]), `${file}: ${m[0]}`).toBe(true);
    }
  });

  it("the ConfigMap holds no secret; the Secret holds the secrets, as placeholders only", () => {
    for (const m of configMaps)
      for (const key of Object.keys(m.data ?? {})) expect(SECRET_VARS.has(key), `ConfigMap ${key}`).toBe(false);
    expect(secrets).toHaveLength(1);
    const s = secrets[0]!;
    expect(s.data, "stringData only: no base64 values to decode and leak").toBeUndefined();
    expect(Object.keys(s.stringData ?? {}).sort()).toEqual([...SECRET_VARS].sort());
    for (const [key, value] of Object.entries(s.stringData ?? {})) expect(value, key).toBe("CHANGE-ME");
  });

  it("secrets reach the containers only from the Secret (secretRef or secretKeyRef), never as a value", () => {
    for (const { where, c } of containers) {
      for (const e of c.env ?? []) {
        if (!SECRET_VARS.has(e.name)) continue;
        expect(e.value, `${where} ${e.name}`).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef, `${where} ${e.name}`).toBeDefined();
      }
      for (const from of c.envFrom ?? []) {
        expect((from.configMapRef ? 1 : 0) + (from.secretRef ? 1 : 0), where).toBe(1);
        expect(from.prefix, `${where}: a prefix would rename the variables`).toBeUndefined();
        if (from.configMapRef)
          expect(configMapNames.has(from.configMapRef.name), `${where} ${from.configMapRef.name}`).toBe(true);
        if (from.secretRef) expect(secretNames.has(from.secretRef.name), `${where} ${from.secretRef.name}`).toBe(true);
      }
      const fromSecret = new Set([
        ...(c.envFrom ?? []).flatMap((f) => (f.secretRef ? secretKeys(f.secretRef.name) : [])),
        ...(c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name),
      ]);
      for (const name of SECRET_VARS) expect(fromSecret.has(name), `${where} gets ${name} from the Secret`).toBe(true);
    }
  });

  /** The environment a container sees: its ConfigMaps and Secrets (envFrom), then its env entries. */
  function containerEnv(c: IContainer, secretValues: (key: string) => string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) {
      const m = configMaps.find((x) => x.metadata?.name === from.configMapRef?.name);
      Object.assign(env, m?.data ?? {});
      if (from.secretRef) for (const key of secretKeys(from.secretRef.name)) env[key] = secretValues(key);
    }
    for (const e of c.env ?? []) env[e.name] = e.value ?? (e.valueFrom?.secretKeyRef ? secretValues(e.name) : "");
    return env;
  }

  it("the configuration is valid for the CLI once the Secret is filled, and keeps the state in S3 and in /state", () => {
    const filled = (key: string) =>
      key === "QDRANT_S3_BUCKET_NAME" ? "qdrant-snapshots" : `value-of-${key.toLowerCase()}`;
    for (const { where, c } of containers) {
      const env = containerEnv(c, filled);
      const config = buildConfig(env, { cwd: image.workdir ?? "/" });
      expect(config.sourceHosts.length, where).toBeGreaterThan(0);
      expect(config.restoreHosts.length, where).toBeGreaterThan(0);
      expect(config.s3.bucket, where).toBe("qdrant-snapshots");
      expect(config.stateDir, `${where}: state files in the emptyDir at the WORKDIR`).toBe("/state");
      expect(config.stateS3Prefix, `${where}: a fresh pod resumes from the state in S3`).toMatch(
        /^[a-z0-9][a-z0-9._/-]*\/$/,
      );
    }
  });

  it("the example Secret's placeholders stop the CLI with a configuration error naming the bucket", () => {
    const placeholders = Object.fromEntries(Object.entries(secrets[0]?.stringData ?? {}));
    for (const { where, c } of containers) {
      const env = containerEnv(c, (key) => placeholders[key] ?? "");
      let error: unknown;
      try {
        buildConfig(env, { cwd: "/state" });
      } catch (e) {
        error = e;
      }
      expect(error, where).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join("\n"), where).toMatch(
        /QDRANT_S3_BUCKET_NAME: "CHANGE-ME" is not a valid bucket name/,
      );
    }
  });
});
