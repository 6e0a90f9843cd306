import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The first port the kernel hands out for port 0 (Linux's ip_local_port_range; 32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

async function tryBind(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (bound) await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/**
 * A loopback TCP port nothing listens on: free when checked, and below the ephemeral range, so no server of the
 * test run (they all listen on port 0) can be given it afterwards.
 */
export async function closedPort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, high - 10_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await tryBind(port)) return port;
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}
