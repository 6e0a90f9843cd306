// Types of the values global setup provides to tests (read them with `inject("s3")`).
import type { S3ServerInfo } from "./launcher.js";

declare module "vitest" {
  export interface ProvidedContext {
    s3: S3ServerInfo;
  }
}
