/**
 * `npm run demo`: a real backup and restore on this machine, with the Qdrant emulator and the local S3 server.
 * Two source nodes and two target nodes (S3 snapshot storage), the built CLI run as a user would run it,
 * then a check that the targets hold the same points and aliases as the sources, then clean-up.
 * `npm run demo -- --s3 rgw` does the same round trip against Ceph's RADOS Gateway (its Debian packages installed;
 * see README "S3 compatibility") instead of the fake S3 server.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startEmulator, type Emulator } from "../test/support/emulator/index.js";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../test/support/emulator/seed.js";
import { createTestBucket, s3Storage } from "../test/support/s3/client.js";
import { startS3Server } from "../test/support/s3/launcher.js";
import { startRgw } from "../test/support/s3/rgw-launcher.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist", "cli.js");

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(path.join(e.parentPath, e.name)).mtimeMs),
  );
}

function buildIfNeeded(): void {
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(path.join(root, "src"))) return;
  console.log("$ npm run build");
  const r = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("build failed");
}

async function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  console.log(`\n$ qdrant-backup-restore ${args.join(" ")}`);
  const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: "inherit" });
  const code: number = await new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`qdrant-backup-restore ${args.join(" ")} exited ${code}`);
}

/** The S3 server of `--s3 fake|rgw` (default fake). */
function chooseS3(): () => Promise<{
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  stop(): Promise<void>;
}> {
  const { values } = parseArgs({ options: { s3: { type: "string", default: "fake" } } });
  if (values.s3 === "rgw") return startRgw;
  if (values.s3 === "fake") return startS3Server;
  throw new Error(`--s3 ${values.s3 ?? ""}: expected fake or rgw`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const startS3 = chooseS3();
  buildIfNeeded();
  const work = await mkdtemp(path.join(os.tmpdir(), "qbr-demo-"));
  let s3: Awaited<ReturnType<typeof startS3>> | undefined;
  const emulators: Emulator[] = [];
  try {
    s3 = await startS3();
    const bucket = await createTestBucket(s3, "demo");
    const storage = s3Storage(s3, bucket);
    const apiKey = "demo-api-key-0123456789";
    const source = await startEmulator({ nodes: 2, storage, apiKey });
    const target = await startEmulator({ nodes: 2, storage, apiKey });
    emulators.push(source, target);
    const [srcA, srcB] = source.urls as [string, string];

    console.log("Seeding the source nodes through the Qdrant API…");
    await seedCollection(srcA, "articles", { points: 300, dim: 16, apiKey });
    await seedCollection(srcA, "products", { points: 120, dim: 8, distance: "Dot", apiKey });
    await seedCollection(srcB, "users", { points: 200, dim: 4, distance: "Euclid", apiKey });
    await createAlias(srcA, "articles", "articles-live", apiKey);
    await createAlias(srcB, "users", "users-current", apiKey);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      QDRANT_API_KEY: apiKey,
      QDRANT_SOURCE_HOSTS: source.urls.join(","),
      QDRANT_RESTORE_HOSTS: target.urls.join(","),
      QDRANT_S3_ENDPOINT_URL: s3.endpoint,
      QDRANT_S3_ACCESS_KEY_ID: s3.accessKey,
      QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey,
      QDRANT_S3_BUCKET_NAME: bucket,
      QDRANT_S3_REGION: s3.region,
    };
    console.log(`\nState files go to ${work}. The variables:`);
    for (const k of [
      "QDRANT_SOURCE_HOSTS",
      "QDRANT_RESTORE_HOSTS",
      "QDRANT_S3_ENDPOINT_URL",
      "QDRANT_S3_BUCKET_NAME",
    ]) {
      console.log(`  export ${k}="${env[k]}"`);
    }
    console.log('  export QDRANT_API_KEY="…" QDRANT_S3_ACCESS_KEY_ID="…" QDRANT_S3_SECRET_ACCESS_KEY="…"');

    await runCli(["create_snap"], env, work);
    await runCli(["get_colla"], env, work);
    await runCli(["recover_snap"], env, work);
    await runCli(["recover_colla"], env, work);

    console.log("\nVerifying the targets…");
    const sources: Record<string, string> = { articles: srcA, products: srcA, users: srcB };
    const wantAliases = [...(await listAliases(srcA, apiKey)), ...(await listAliases(srcB, apiKey))]
      .map((a) => `${a.alias_name}->${a.collection_name}`)
      .sort();
    for (const t of target.urls) {
      for (const [collection, from] of Object.entries(sources)) {
        const want = JSON.stringify(await readAllPoints(from, collection, apiKey));
        const got = JSON.stringify(await readAllPoints(t, collection, apiKey));
        if (want !== got) throw new Error(`points of ${collection} on ${t} differ from the source`);
      }
      const got = (await listAliases(t, apiKey)).map((a) => `${a.alias_name}->${a.collection_name}`).sort();
      if (JSON.stringify(got) !== JSON.stringify(wantAliases))
        throw new Error(`aliases on ${t} differ: ${got.join(", ")}`);
      console.log(`  ${t}: 3 collections with identical points, aliases ${got.join(", ")}`);
    }
    console.log(`\nDemo passed in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    for (const e of emulators) await e.stop().catch(() => undefined);
    await s3?.stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`Demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
