# The services image: catalog, order and search (and `node scripts/seed.ts`) on the image's Node 24,
# which runs the TypeScript sources as they are (type stripping): there is no build step.
# docker-compose runs one service per container: `pm2-runtime ecosystem.config.js --only <name>`.
# Build context: the repository root (see .dockerignore).
FROM node:24-bookworm-slim

WORKDIR /app

# Dependencies first, so that a change to the sources does not reinstall them. The workspace
# package.json files are needed for npm to link @shop/* into node_modules.
# devDependencies stay out. The lock records every platform's optional binaries, so `npm ci`
# installs exactly what it says; it also brings the project's Node 24 for this architecture
# (node-linux-*, optional), which ecosystem.config.js then prefers to the image's own Node 24.
COPY package.json package-lock.json ./
COPY packages/mongo-standin/package.json packages/mongo-standin/
COPY packages/cache-middleware/package.json packages/cache-middleware/
COPY packages/db/package.json packages/db/
COPY packages/metrics/package.json packages/metrics/
COPY packages/service-kit/package.json packages/service-kit/
COPY services/catalog/package.json services/catalog/
COPY services/order/package.json services/order/
COPY services/search/package.json services/search/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

# What runs: the workspaces' sources, the scripts (seed) and the PM2 file. No tsconfig: Node does
# not read it. Tests, the stand-in's Java build output and local state are excluded by .dockerignore.
COPY ecosystem.config.js ./
COPY packages/ packages/
COPY services/ services/
COPY scripts/ scripts/

# The scripts create .data and .run under the repository root (scripts/lib/paths.ts); PM2 writes
# its log files to SHOP_LOG_DIR (pm2-runtime also prints them to stdout).
RUN mkdir -p /app/.data /app/.run /tmp/shop-logs \
  && chown node:node /app/.data /app/.run /tmp/shop-logs

ENV NODE_ENV=production \
    SHOP_HOST=0.0.0.0 \
    SHOP_LOG_DIR=/tmp/shop-logs

USER node

EXPOSE 3001 3002 3003

# All three services; docker-compose passes `--only <name>` for one per container.
CMD ["node_modules/.bin/pm2-runtime", "ecosystem.config.js"]
