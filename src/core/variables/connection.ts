// The variables of the Qdrant hosts, the bucket and the calls to them: hosts, API key, S3 credentials, timeouts,
// snapshot filter, port. A group of VARIABLES (variables.ts).
import type { VariableSpec } from "./spec.js";

export const CONNECTION_VARIABLES = [
  { name: "QDRANT_API_KEY", secret: true, description: "Qdrant API key, sent as the api-key header; empty = no key" },
  { name: "QDRANT_SOURCE_HOSTS", description: "comma-separated base URLs of the source Qdrant hosts (backup)" },
  { name: "QDRANT_RESTORE_HOSTS", description: "comma-separated base URLs of the Qdrant hosts to restore onto" },
  { name: "QDRANT_S3_ENDPOINT_URL", description: "S3-compatible endpoint (path-style); empty = AWS S3" },
  {
    name: "QDRANT_S3_ACCESS_KEY_ID",
    description: "S3 access key id; empty together with the secret = the AWS default credential chain",
  },
  { name: "QDRANT_S3_SECRET_ACCESS_KEY", secret: true, description: "S3 secret access key" },
  { name: "QDRANT_S3_BUCKET_NAME", description: "bucket where Qdrant stores snapshots (Qdrant's S3 snapshot storage)" },
  { name: "QDRANT_S3_REGION", default: "us-east-1", description: "S3 region used for signing" },
  {
    name: "GET_PEERS_FROM_CLUSTER_INFO",
    default: "false",
    description: "true: discover the cluster peers from GET /cluster on the first source host",
  },
  {
    name: "CURL_TIMEOUT",
    default: "1800",
    description:
      "time limit of each request to Qdrant and to S3, seconds or a duration (30s, 30m, 1h); a streamed snapshot transfer fails after this long without a byte instead; connecting takes at most min(30 s, this)",
  },
  { name: "QDRANT_WAIT_ON_TASK", default: "true", description: "wait=true|false on snapshot create and recover" },
  {
    name: "QDRANT_S3_LINK_EXPIRY_DURATION",
    default: "3600",
    description: "lifetime of presigned URLs: seconds or a duration (3600s, 60m, 1h); at most 7 days",
  },
  {
    name: "QDRANT_SNAPSHOT_DATETIME_FILTER",
    default: "",
    description: "only snapshots whose name contains this text, or matches it as a glob (* and ?) when it has one",
  },
  {
    name: "QDRANT_HTTP_PORT",
    default: "6333",
    description: "HTTP port put into peer URIs discovered from /cluster (those carry the p2p port)",
  },
] as const satisfies readonly VariableSpec[];
