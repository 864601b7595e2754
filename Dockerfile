# syntax=docker/dockerfile:1
# LNMP Gateway image: a build stage compiles the TypeScript to dist/, and the runtime stage
# holds only the production dependencies, dist/ and the SQL migrations, running as `node`.

# ---- build ----
FROM node:20-bookworm-slim AS build
WORKDIR /opt/lnmp-gateway
COPY package.json package-lock.json .npmrc ./
# The sources are not here yet, so the `prepare` script (the build) is skipped and run below.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# ---- runtime ----
FROM node:20-bookworm-slim AS runtime
WORKDIR /opt/lnmp-gateway
ENV NODE_ENV=production
# --ignore-scripts: `prepare` would run the build, which needs the dev dependencies.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /opt/lnmp-gateway/dist ./dist
# The compiled runner (dist/storage/migrate.js) reads the migrations from ../../storage/migrations/.
COPY storage/migrations ./storage/migrations

# Generated files (gateway secret, self-signed certificate, PGlite when no DATABASE_URL) and the
# admin socket live here; the gateway expects a directory only its own user can open.
RUN mkdir -p /var/lib/lnmp-gateway && chown node:node /var/lib/lnmp-gateway && chmod 0700 /var/lib/lnmp-gateway
VOLUME ["/var/lib/lnmp-gateway"]

# Listen on every interface of the container, on the standard ports: the client-setup answers
# (autoconfig, Autodiscover, .mobileconfig) name the ports the gateway binds. Binding ports
# below 1024 as a non-root user relies on Docker's default
# net.ipv4.ip_unprivileged_port_start=0 inside the container (set explicitly in docker-compose.yml).
ENV LNMP_DATA_DIR=/var/lib/lnmp-gateway \
    LNMP_LISTEN_HOST=0.0.0.0 \
    LNMP_SMTP_PORT=25 \
    LNMP_SUBMISSIONS_PORT=465 \
    LNMP_SUBMISSION_PORT=587 \
    LNMP_IMAP_PORT=143 \
    LNMP_IMAPS_PORT=993 \
    LNMP_HTTP_PORT=8080 \
    LNMP_RELAY_PORT=7138
EXPOSE 25 465 587 143 993 8080 7138

USER node

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LNMP_HTTP_PORT || '8080') + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "dist/gateway/cli/main.js"]
CMD ["start"]
