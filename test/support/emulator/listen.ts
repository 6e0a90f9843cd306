/** Bind node servers: standalone nodes each on a free port, cluster peers all on one shared port. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.off("listening", onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

const inUse = (e: unknown): boolean => e instanceof Error && "code" in e && e.code === "EADDRINUSE";

/**
 * Returns the port of each server. With `samePort`, a port picked free on the first address may be
 * taken on another one, so the whole group is retried on EADDRINUSE (unless the port was fixed).
 */
export async function listenAll(
  servers: Server[],
  hosts: string[],
  port: number,
  samePort: boolean,
): Promise<number[]> {
  if (!samePort) {
    return Promise.all(servers.map((s, i) => listen(s, hosts[i] ?? "127.0.0.1", port === 0 ? 0 : port + i)));
  }
  for (let attempt = 0; ; attempt++) {
    const bound: Server[] = [];
    try {
      let chosen = port;
      for (const [i, s] of servers.entries()) {
        chosen = await listen(s, hosts[i] ?? "127.0.0.1", chosen);
        bound.push(s);
      }
      return servers.map(() => chosen);
    } catch (e) {
      await Promise.all(bound.map(close));
      if (!inUse(e) || port !== 0 || attempt >= 20) throw e;
    }
  }
}
