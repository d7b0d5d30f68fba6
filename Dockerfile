# syntax=docker/dockerfile:1
# Samsa broker image. Build: docker build -t samsa .   Docs: docs/docker.md

# ---- build: compile TypeScript to dist/ ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script is needed to compile. The `node`
# devDependency pins a Node for local development; its shim would shadow the
# image's own node inside npm scripts, so it is removed.
RUN npm ci --ignore-scripts --no-audit --no-fund && rm -f node_modules/.bin/node
COPY . .
RUN npm run build

# ---- runtime: dist + production dependencies only ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Native add-ons come as prebuilt optional packages; msgpackr falls back to JS.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY docker/entrypoint.sh docker/healthcheck.js ./docker/
RUN chmod 0755 /app/docker/entrypoint.sh /app/bin/samsa.js \
 && mkdir -p /var/lib/samsa \
 && chown node:node /var/lib/samsa

# The image's built-in `node` user (uid 1000, gid 1000) owns the data volume.
USER node
ENV SAMSA_DATA_DIR=/var/lib/samsa \
    SAMSA_HOST=0.0.0.0
VOLUME /var/lib/samsa
# 9092: Kafka protocol; 8080: HTTP (/metrics, /healthz, /readyz).
EXPOSE 9092 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.js"]
# SIGTERM reaches the broker directly (entrypoint execs node), which flushes
# and writes the clean-shutdown marker; allow it time with --stop-timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["start"]
