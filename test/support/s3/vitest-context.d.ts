// Types of the values global setup provides to tests (read them with `inject("s3")`, `inject("s3Impl")`).
import type { S3ServerInfo } from "./launcher.js";

declare module "vitest" {
  export interface ProvidedContext {
    s3: S3ServerInfo;
    /**
     * Which S3 server the run uses: "fake" (@20minutes/s3rver with our patches, fault injection at /__admin/faults)
     * or "rgw" (Ceph's RADOS Gateway, no fault injection). Set by the config's `provide` (vitest.rgw.config.ts).
     */
    s3Impl: "fake" | "rgw";
  }
}
