# byok-gateway image (docs/deployment.md). Two stages: build the TypeScript with every dependency, then
# run the build's dist/ on production dependencies only, as the unprivileged `node` user.
# The Node version is the project's pinned one (package.json devDependencies.node; a test keeps them equal).

FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24.21.0-bookworm-slim AS runtime
# The V8 settings the gateway is measured with (a small young generation, docs/deployment.md, "Memory")
# are applied by its own start path (dist/main.js serve); a NODE_OPTIONS set here would replace an
# operator's, so the image sets none.
# BYOK_HOST: every interface of the container (the gateway itself defaults to 127.0.0.1, unreachable
# from outside a container); docs/deployment.md, "Exposure".
ENV NODE_ENV=production \
    BYOK_HOST=0.0.0.0 \
    BYOK_PORT=8080 \
    BYOK_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The data directory (SQLite file, generated pepper) when no PostgreSQL is configured; owner-only.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Slim images have no curl: node's own fetch asks /healthz (liveness) on the port the gateway listens on.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BYOK_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The command CI runs (`npm start` = node src/main.ts serve), on the build: node dist/main.js serve.
# Exec form: node itself receives the orchestrator's SIGTERM and shuts down gracefully.
CMD ["node", "dist/main.js", "serve"]
