/**
 * The repository's Dockerfile read into its stages (with dockerfile-ast), for the tests that pin the image
 * (test/unit/dockerfile.test.ts, test/unit/k8s-manifests.test.ts) and the one that runs its ENTRYPOINT the way
 * the container would (test/e2e/container.test.ts). Only what those tests need; nothing is resolved at build time.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DockerfileParser, type Instruction } from "dockerfile-ast";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DOCKERFILE_PATH = path.join(ROOT, "Dockerfile");

export interface Copy {
  /** The --from stage or image; undefined = the build context. */
  from: string | undefined;
  flags: Record<string, string | null>;
  sources: string[];
  dest: string;
}

export interface Stage {
  /** The `AS` name, if any. */
  name: string | undefined;
  /** FROM image as written, e.g. `node:24.11.1-bookworm-slim`. */
  image: string;
  imageName: string | null;
  tag: string | null;
  digest: string | null;
  instructions: Instruction[];
  /** The last WORKDIR (absolute, as written), or undefined. */
  workdir: string | undefined;
  /** The last USER, as written. */
  user: string | undefined;
  /** ENTRYPOINT and CMD: argv when written in exec (JSON) form, else `shell` with the text. */
  entrypoint: ExecForm | undefined;
  cmd: ExecForm | undefined;
  env: Record<string, string>;
  args: string[];
  labels: Record<string, string>;
  volumes: string[];
  copies: Copy[];
  /** ADD instructions (each as its raw argument text). */
  adds: string[];
  runs: string[];
}

export type ExecForm = { exec: string[] } | { shell: string };

function execForm(i: Instruction & { getJSONStrings?: () => { getJSONValue(): string }[] }): ExecForm {
  const raw = (i.getRawArgumentsContent() ?? "").trim();
  const json = i.getJSONStrings?.() ?? [];
  if (raw.startsWith("[") && raw.endsWith("]")) {
    // dockerfile-ast accepts what Docker would run as a shell command when the JSON is invalid; JSON.parse decides.
    try {
      const parsed: unknown = JSON.parse(raw);
      if (
        Array.isArray(parsed) &&
        parsed.every((s): s is string => typeof s === "string") &&
        parsed.length === json.length
      ) {
        return { exec: parsed };
      }
    } catch {
      // falls through to shell form
    }
  }
  return { shell: raw };
}

function flagsOf(i: Instruction): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if ("getFlags" in i && typeof i.getFlags === "function") {
    for (const f of (i as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags()) {
      out[f.getName()] = f.getValue();
    }
  }
  return out;
}

function properties(i: Instruction): [string, string][] {
  const props =
    (i as unknown as { getProperties?: () => { getName(): string; getValue(): string | null }[] }).getProperties?.() ??
    [];
  return props.map((p) => [p.getName(), p.getValue() ?? ""]);
}

/** Parses `text` (default: the repository's Dockerfile) into stages, in order. */
export function readStages(text = readFileSync(DOCKERFILE_PATH, "utf8")): Stage[] {
  const stages: Stage[] = [];
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    const keyword = i.getKeyword();
    if (keyword === "FROM") {
      const from = i as unknown as {
        getImage(): string | null;
        getImageName(): string | null;
        getImageTag(): string | null;
        getImageDigest(): string | null;
        getBuildStage(): string | null;
      };
      stages.push({
        name: from.getBuildStage() ?? undefined,
        image: from.getImage() ?? "",
        imageName: from.getImageName(),
        tag: from.getImageTag(),
        digest: from.getImageDigest(),
        instructions: [i],
        workdir: undefined,
        user: undefined,
        entrypoint: undefined,
        cmd: undefined,
        env: {},
        args: [],
        labels: {},
        volumes: [],
        copies: [],
        adds: [],
        runs: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (keyword === "ARG") continue; // an ARG before the first FROM
      throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    }
    stage.instructions.push(i);
    const args = i.getArguments().map((a) => a.getValue());
    switch (keyword) {
      case "WORKDIR": {
        const dir = args.join(" ");
        stage.workdir = path.posix.isAbsolute(dir)
          ? path.posix.normalize(dir)
          : path.posix.join(stage.workdir ?? "/", dir);
        break;
      }
      case "USER":
        stage.user = args.join(" ");
        break;
      case "ENTRYPOINT":
        stage.entrypoint = execForm(i);
        break;
      case "CMD":
        stage.cmd = execForm(i);
        break;
      case "ENV":
        for (const [k, v] of properties(i)) stage.env[k] = v;
        break;
      case "ARG":
        for (const [k] of properties(i)) stage.args.push(k);
        break;
      case "LABEL":
        for (const [k, v] of properties(i)) stage.labels[k] = v;
        break;
      case "VOLUME": {
        const form = execForm(i);
        stage.volumes.push(...("exec" in form ? form.exec : form.shell.split(/\s+/)));
        break;
      }
      case "COPY": {
        const flags = flagsOf(i);
        const paths = args;
        stage.copies.push({
          from: flags["from"] ?? undefined,
          flags,
          sources: paths.slice(0, -1),
          dest: paths.at(-1) ?? "",
        });
        break;
      }
      case "ADD":
        stage.adds.push(i.getRawArgumentsContent() ?? "");
        break;
      case "RUN":
        stage.runs.push(i.getRawArgumentsContent() ?? "");
        break;
    }
  }
  return stages;
}

export interface PackageInfo {
  name: string;
  version: string;
  license: string;
  /** The major of `engines.node` (`>=20.18` → 20). */
  nodeMajor: number;
}

/** The fields of package.json the image and the manifests repeat. */
export function readPackage(): PackageInfo {
  const pkg: unknown = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const field = (key: string): string => {
    const v = typeof pkg === "object" && pkg !== null ? (pkg as Record<string, unknown>)[key] : undefined;
    if (typeof v !== "string") throw new Error(`package.json: ${key} is not a string`);
    return v;
  };
  const engines: unknown =
    typeof pkg === "object" && pkg !== null ? (pkg as Record<string, unknown>)["engines"] : undefined;
  const node =
    typeof engines === "object" && engines !== null ? (engines as Record<string, unknown>)["node"] : undefined;
  const major = /(\d+)/.exec(typeof node === "string" ? node : "")?.[1];
  if (major === undefined) throw new Error("package.json: engines.node has no version");
  return { name: field("name"), version: field("version"), license: field("license"), nodeMajor: Number(major) };
}

/** The final stage: what `docker build` makes the image of. */
export function runtimeStage(stages: readonly Stage[] = readStages()): Stage {
  const last = stages.at(-1);
  if (last === undefined) throw new Error("Dockerfile: no FROM");
  return last;
}

/** `USER uid[:gid]` as numbers; undefined when USER is missing or not numeric. */
export function numericUser(user: string | undefined): { uid: number; gid: number | undefined } | undefined {
  const m = /^(\d+)(?::(\d+))?$/.exec(user ?? "");
  if (!m) return undefined;
  return { uid: Number(m[1]), gid: m[2] === undefined ? undefined : Number(m[2]) };
}
