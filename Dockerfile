# tradecrew: the same bot as `npm start` (the compiled build). Without tokens it runs the demo
# market on paper and keeps running (console input off); give TELEGRAM_BOT_TOKEN / DISCORD_TOKEN
# to chat with it.
#   docker build -t tradecrew .
#   docker run -it -v tradecrew-data:/data tradecrew                       (console demo)
#   docker run -d -e TELEGRAM_BOT_TOKEN=... -e TELEGRAM_CHAT_ID=... -e TELEGRAM_ALLOWED_USERS=... \
#              -v tradecrew-data:/data tradecrew
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ pkg-config libcairo2-dev libpango1.0-dev \
      libjpeg-dev libgif-dev librsvg2-dev fonts-dejavu-core ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --build-from-source
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
# The image runs the compiled build (no TypeScript transpiling at each start), then drops the
# dev dependencies (typescript, @types) the build needed.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
COPY templates ./templates
COPY config ./config
COPY data/README.md ./data/README.md
ENV TRADECREW_DATA_DIR=/data \
    TRADECREW_CONSOLE__EXIT_ON_EOF=false \
    NODE_ENV=production
VOLUME ["/data"]
# --max-semi-space-size=2: as `npm start` (package.json), see README "Quick start".
CMD ["node", "--max-semi-space-size=2", "build/src/main.js"]
