/**
 * Scenario "startup": how long `node dist/cli.js --help` takes, against `node -e 0` (Node's own start), as medians
 * of interleaved runs after warm-ups. The difference is what the tool itself costs at every invocation.
 */
import { spawn } from "node:child_process";
import { judged, median, type Scenario } from "./report.js";

const DEFAULT_RUNS = 20;
const WARMUPS = 2;
const TARGET_MS = 150;

/** Wall time of one process from spawn to exit, in ms; a non-zero exit is a crash of the bench. */
function timeRun(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [...args], { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(" ")} exited ${code ?? signal}\n${stderr}`));
    });
  });
}

export const startup: Scenario = {
  name: "startup",
  title: "Startup: node dist/cli.js --help against node -e 0",
  about:
    "d) What every invocation costs before any work: the median wall time of `node dist/cli.js --help` against " +
    "`node -e 0` (Node's own start), interleaved, after warm-ups. The task modules, undici and the AWS SDK load only " +
    "after the arguments are parsed, so `--help` measures the bundle's parse plus commander.",
  inCi: false,
  async run(ctx) {
    const runs = ctx.runs ?? DEFAULT_RUNS;
    // A caller's NODE_OPTIONS (loaders, --enable-source-maps) would change what is measured: time plain node.
    const env = { ...process.env };
    delete env["NODE_OPTIONS"];
    const cliArgs = [ctx.cli, "--help"];
    const bareArgs = ["-e", "0"];
    for (let i = 0; i < WARMUPS; i++) {
      await timeRun(cliArgs, ctx.root, env);
      await timeRun(bareArgs, ctx.root, env);
    }
    const cli: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      cli.push(await timeRun(cliArgs, ctx.root, env));
      bare.push(await timeRun(bareArgs, ctx.root, env));
    }
    const notes = process.env["NODE_EXTRA_CA_CERTS"]
      ? ["NODE_EXTRA_CA_CERTS is set: Node reads those certificates at every start, which slows both commands alike"]
      : [];
    const cliMs = median(cli);
    const bareMs = median(bare);
    return {
      runs,
      notes,
      figures: [
        judged({
          name: "--help, median",
          value: cliMs,
          unit: "ms",
          target: { op: "<", value: TARGET_MS },
          meaning: "wall time from spawn to exit of the CLI printing its help",
        }),
        {
          name: "node -e 0, median",
          value: bareMs,
          unit: "ms",
          meaning: "the same for an empty Node program: the floor no Node CLI can go under",
        },
        {
          name: "tool's own startup (difference)",
          value: cliMs - bareMs,
          unit: "ms",
          reference: bareMs,
          meaning: "what the tool adds to Node's own start",
        },
      ],
    };
  },
};
