# syntax=docker/dockerfile:1
# Medic: one image for every role (MEDIC_ROLE=all|web|worker).

# --- build: compile TypeScript with the full dependency tree.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY cards ./cards
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies, compiled code, SSM documents, the local space's page.
FROM node:20-slim AS runtime
ENV NODE_ENV=production PORT=3000 MEDIC_ROLE=all
# tini reaps children and forwards SIGTERM straight to node (no npm or sh in between), so Medic drains its
# workers on `docker stop`: running jobs get MEDIC_SHUTDOWN_GRACE_MS (15 min by default), then go back to the
# queue. Give the container at least that plus 30 s to stop: `docker stop -t 930`, compose `stop_grace_period: 16m`,
# Kubernetes `terminationGracePeriodSeconds: 930`; otherwise SIGKILL cuts the drain short.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node config ./config
# Read at run time: the SSM command documents and the local space's static page.
COPY --chown=node:node src/runbooks/documents ./src/runbooks/documents
COPY --chown=node:node src/local-space/public ./src/local-space/public
USER node
EXPOSE 3000
# Every role answers /healthz: on MEDIC_ADMIN_PORT when set (with /readyz and /metrics), else on PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.MEDIC_ADMIN_PORT||process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
