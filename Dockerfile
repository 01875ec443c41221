# Hodei's container image: the supervisor (`hodei serve`), LMDB in /var/lib/hodei by default,
# PostgreSQL with HODEI_DATABASE_URL (see compose.yaml).
#
# Two stages: `build` has the whole toolchain and makes the package tarball (npm pack builds
# dist/); `runtime` installs that tarball with production dependencies only and runs it as an
# unprivileged user. The runtime stage's steps are .ci/runtime-stage.sh, which CI also runs
# outside a container (test/package.test.ts reads this file for the command, health check,
# user and settings it runs them with).

FROM node:20.19-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The sources are not here yet: `prepare` (the build) runs with npm pack below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm pack --pack-destination /tmp && mv /tmp/hodei-*.tgz /tmp/hodei.tgz

FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HODEI_HTTP_ADDR=0.0.0.0:8080 \
    HODEI_GRPC_ADDR=0.0.0.0:50051 \
    HODEI_DATA_DIR=/var/lib/hodei
COPY --from=build /tmp/hodei.tgz /tmp/hodei.tgz
COPY .ci/runtime-stage.sh /usr/local/bin/hodei-runtime-stage
RUN hodei-runtime-stage /tmp/hodei.tgz /opt/hodei /var/lib/hodei node && rm /tmp/hodei.tgz
USER node
WORKDIR /var/lib/hodei
VOLUME ["/var/lib/hodei"]
EXPOSE 8080 50051
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const port = (process.env.HODEI_HTTP_ADDR || ':8080').split(':').pop(); require('http').get('http://127.0.0.1:' + port + '/ready', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=16", "/opt/hodei/node_modules/hodei/bin/hodei.mjs", "serve"]
