import { main } from "../../src/main.js";

/** Runs the CLI's main() in-process with `argv`, `env` and `cwd`: its exit code, stderr and how long it took. */
export async function runMain(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; stderr: string; ms: number }> {
  const err: string[] = [];
  const started = Date.now();
  const code = await main({
    argv,
    env,
    cwd,
    stdout: () => {},
    stderr: (s) => err.push(s),
    signal: new AbortController().signal,
  });
  return { code, stderr: err.join(""), ms: Date.now() - started };
}
