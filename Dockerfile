# qdrant-backup-restore: the CLI in a small image that holds Node and one bundled file, nothing else.
#
#   docker build -t qdrant-backup-restore:0.1.0 .
#   docker run --rm --read-only --tmpfs /tmp -v qdrant-backup-state:/state -v /etc/qdrant-backup/env:/config/env:ro \
#     qdrant-backup-restore:0.1.0 create_snap get_colla --env-file /config/env
#
# The arguments are the CLI's (tasks and flags), as with the bash script. The state files live in /state, the
# working directory, where ./.env is also looked up. Secrets come from the environment at run time, never from
# the image. Runs as uid/gid 10001, writes only to /state (and /tmp), so it works with a read-only root
# filesystem. k8s/ has the manifests.

# Node 24 LTS (the newest LTS release line the npm registry's node mirror lists here, 24.21.0), slim Debian trixie.
# Bump both FROM lines together; pin a digest (@sha256:…) in your own registry if you mirror the image.
# Build stage: dev dependencies, then the esbuild bundle dist/cli.js (+ source map).
FROM node:24.21.0-trixie-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY src/ src/
RUN npm run build
# The bundle must run on its own: try it from a directory with no node_modules anywhere above it. `reset` in an
# empty directory also runs the lazily loaded part of the bundle (--version alone would not) and changes nothing.
RUN mkdir /bundle-check && cp dist/cli.js /bundle-check/ && cd /bundle-check \
    && node -- cli.js --version && node -- cli.js reset

# Runtime stage: the same pinned Node, the bundle and its source map. No npm install, no node_modules.
FROM node:24.21.0-trixie-slim
LABEL org.opencontainers.image.title="qdrant-backup-restore" \
      org.opencontainers.image.description="Back up Qdrant collections to S3-compatible storage and restore them onto other Qdrant instances or clusters" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/example/qdrant-backup-restore"
# HOME=/tmp: the AWS SDK looks for ~/.aws there (an operator may mount a config); nothing is written to it.
# --enable-source-maps: stack traces (--verbose) point into src/ instead of the bundle.
ENV NODE_ENV=production \
    HOME=/tmp \
    NODE_OPTIONS=--enable-source-maps
# Owned by root and not writable by the runtime user: the code cannot be changed by the process running it.
COPY --from=build /src/dist/cli.js /src/dist/cli.js.map /app/
# The state directory, writable by the runtime user also when Docker creates the volume from the image.
RUN install -d -o 10001 -g 10001 -m 0750 /state
WORKDIR /state
VOLUME ["/state"]
USER 10001:10001
# `--` keeps Node from taking the CLI's own --env-file flag (Node 20 parses it even after the script path).
# Node runs as PID 1: the CLI handles SIGTERM and SIGINT itself (exit 130) and starts no child processes.
ENTRYPOINT ["node", "--", "/app/cli.js"]
CMD ["--help"]
