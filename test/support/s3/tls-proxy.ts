/**
 * HTTPS in front of the plain local S3 server: a TLS-terminating TCP proxy on 127.0.0.1. The bytes pass through
 * unchanged, so the Host header the SDK signed (this proxy's host:port) is the one the server checks the signature
 * against, and presigned URLs made for the proxy work through it.
 */
import { connect, type AddressInfo, type Socket } from "node:net";
import { createServer } from "node:tls";
import type { KeyPair } from "../tls.js";

export interface TlsProxy {
  /** `https://127.0.0.1:<port>` */
  endpoint: string;
  /** TCP connections accepted so far (a client that rejects the certificate leaves only this trace). */
  connections(): number;
  stop(): Promise<void>;
}

/** Starts the proxy: TLS with `pair` on a free loopback port, forwarding each connection to `target` (http://host:port). */
export async function startTlsProxy(target: string, pair: KeyPair): Promise<TlsProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server = createServer({ key: pair.key, cert: pair.cert }, (clear) => {
    const upstream = connect(Number(port), hostname);
    track(upstream);
    // Either side failing or closing tears down the pair; errors are the client's or server's business, not ours.
    clear.on("error", () => upstream.destroy());
    upstream.on("error", () => clear.destroy());
    clear.pipe(upstream).pipe(clear);
  });
  server.on("connection", (socket: Socket) => {
    accepted++;
    track(socket);
  });
  // A client that rejects our certificate aborts the handshake: expected in the TLS tests, nothing to report.
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${address.port}`,
    connections: () => accepted,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
