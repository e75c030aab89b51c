# syntax=docker/dockerfile:1
#
# One image for every app; the command picks the app:
#   docker run IMAGE node dist/apps/api/src/main.js        (default; HTTP :3000)
#   docker run IMAGE node dist/apps/gateway/src/main.js    (WebSocket :8080)
#   docker run IMAGE node dist/apps/messages/src/main.js   (health/metrics :3001)
#   docker run IMAGE node dist/apps/grpc-gateway/src/main.js (gRPC :50051, health/metrics :3006)
#   docker run IMAGE node dist/apps/webhooks/src/main.js   (health/metrics :3005; likewise presence, search, push)
# Health checks are declared per service (docker-compose.yml, k8s/), not here, because
# each app answers /healthz on its own port.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install every dependency, compile, then drop dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Lockfile first so the dependency layer is cached until package*.json changes.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY . .
# Compile, prune dev dependencies, and gather what runs into /out (proto/: the gRPC door
# loads chat.proto at start). The api serves the web
# client from <root>/apps/web/public (root = the folder with package.json; or WEB_DIR), and
# the operators' page (ADMIN_TOKEN set) from <root>/apps/api/admin-page.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /out/apps/web \
 && cp -a package.json package-lock.json dist node_modules proto /out/ \
 && if [ -d apps/web/public ]; then cp -a apps/web/public /out/apps/web/public; fi \
 && mkdir -p /out/apps/api && cp -a apps/api/admin-page /out/apps/api/admin-page

# ---- runtime: compiled code + production node_modules, non-root ----
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM so the apps drain and close cleanly.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /out/ ./
# Code stays root-owned (read-only for the app); only DATA_DIR (embedded PGlite when
# DATABASE_URL is unset) is writable by the `node` user (uid 1000) of the base image.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000 3001 3002 3005 3006 8080 50051
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/apps/api/src/main.js"]
