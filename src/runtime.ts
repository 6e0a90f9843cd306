// Everything a run needs beyond the command line. main.ts loads it with import() once the arguments are parsed, so
// `--help` and `--version` do not pay for evaluating undici and the AWS SDK (the bundle keeps the import lazy).
export { QdrantClient } from "./qdrant/client.js";
export { QdrantHttp } from "./qdrant/http.js";
export { createS3Client } from "./s3/client.js";
export { createSnapshotStore } from "./store/s3.js";
export { createObjectStore } from "./s3/objects.js";
export { StateStore } from "./state/files.js";
export { StateMirror } from "./state/mirror.js";
export { createDirStore } from "./store/dir.js";
