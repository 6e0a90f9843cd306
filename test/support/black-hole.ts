/**
 * A black-hole HTTP server on loopback, for timeout tests: it accepts TCP connections and then either never answers
 * (`silent`), or reads the request, sends the status line, headers and part of the announced body, then stalls
 * (`stall`). Nothing it does ever ends a connection; `close()` destroys them all.
 */
import { createServer, type Socket } from "node:net";

export interface BlackHole {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * @param mode `silent`: accept and never send a byte; `stall`: answer 200 with a Content-Length of 4096 and a
 *   Content-Type of `contentType`, send the first 100 bytes of the body, then nothing more.
 */
export async function startBlackHole(mode: "silent" | "stall", contentType = "application/json"): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    if (mode === "silent") return;
    let request = "";
    let answered = false;
    socket.on("data", (chunk: Buffer) => {
      request += chunk.toString("latin1");
      if (answered || !request.includes("\r\n\r\n")) return;
      answered = true;
      const head = `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nContent-Length: 4096\r\n\r\n`;
      socket.write(
        head +
          (contentType.includes("xml")
            ? `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>`
            : `{"result":[`
          ).padEnd(100, " "),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("black hole: no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
