// The .env file: ./.env, or the file --env-file names; the real environment wins over the file.
import fs from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import type { Env } from "./config.js";
import { ConfigError } from "./errors.js";

/** The environment merged over ./.env (absent is fine) or `envFile` (relative to `cwd`; must be readable). */
export function loadEnv(env: Env, cwd: string, envFile: string | undefined): Env {
  const file = envFile === undefined ? path.join(cwd, ".env") : path.resolve(cwd, envFile);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (envFile === undefined && (err as NodeJS.ErrnoException).code === "ENOENT") return env;
    throw new ConfigError(
      `--env-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return { ...parseDotenv(text), ...env };
}
