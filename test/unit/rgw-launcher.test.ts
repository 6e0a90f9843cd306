// The gateway launcher's checks that run without Ceph: the missing-packages error and the port-owner lookup.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { RGW_INSTALL_LINE } from "../support/s3/rgw-config.js";
import { findMissingRgwPrograms, listeningPid, startRgw } from "../support/s3/rgw-launcher.js";

describe("rgw launcher", () => {
  it("without the Debian packages: one line naming each missing program, its package and the apt-get line", async () => {
    expect(findMissingRgwPrograms("/nonexistent-dir")).toEqual([
      "monmaptool (ceph-common)",
      "ceph (ceph-common)",
      "ceph-mon (ceph-mon)",
      "ceph-osd (ceph-osd)",
      "radosgw (radosgw)",
      "radosgw-admin (radosgw)",
    ]);
    const saved = process.env["PATH"];
    process.env["PATH"] = "/nonexistent-dir";
    try {
      const err = await startRgw().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      expect(message.split("\n")).toHaveLength(1);
      expect(message).toContain("radosgw (radosgw)");
      expect(message).toContain(RGW_INSTALL_LINE);
      expect(RGW_INSTALL_LINE).toBe(
        "apt-get update && apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common",
      );
    } finally {
      process.env["PATH"] = saved;
    }
  });

  it("finds the PID that holds a listening port, and none for a free port", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      expect(listeningPid(port)).toBe(process.pid);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(listeningPid(port)).toBeUndefined();
  });
});
