# syntax=docker/dockerfile:1
# The exchange, run from its TypeScript sources by Node's own type stripping (no build step, no loader).
FROM node:24-bookworm-slim

WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts

# The embedded database (no DATABASE_URL) keeps its files here; mount a volume to keep them.
RUN mkdir -p /app/data && chown node:node /app/data

ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data

# The unprivileged user that ships with the node image.
USER node

EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node itself is the main process (not npm), so SIGTERM reaches the
# graceful shutdown in src/server.ts directly.
CMD ["node", "src/server.ts"]
