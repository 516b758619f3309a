# opsbook's container image: the bundled CLI on Node 20, non-root, with kubectl for shell steps (what `opsbook submit` Jobs run).
# Build and push (README "Container image"): docker build -t ghcr.io/opsbook/opsbook:$(node -p "require('./package.json').version") . && docker push …

# --- build: the same bundle `npm pack` ships (tsc, then scripts/bundle.mjs) ---
FROM node:20 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm pack --ignore-scripts && mv opsbook-*.tgz /tmp/opsbook.tgz

# --- kubectl: the official binary, verified against its published SHA-256 ---
FROM debian:bookworm-slim AS kubectl
ARG KUBECTL_VERSION=v1.31.4
ARG TARGETARCH=amd64
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
RUN curl -fsSLo /kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl" \
 && curl -fsSLo /kubectl.sha256 "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl.sha256" \
 && echo "$(cat /kubectl.sha256)  /kubectl" | sha256sum --check --strict \
 && chmod 0755 /kubectl

# --- runtime: Node 20 slim, the packed CLI (bundle, schemas, runbooks) and its runtime dependencies only ---
FROM node:20-slim
COPY --from=build /tmp/opsbook.tgz /tmp/opsbook.tgz
RUN npm install -g --omit=dev --no-audit --no-fund /tmp/opsbook.tgz && rm /tmp/opsbook.tgz && npm cache clean --force
COPY --from=kubectl /kubectl /usr/local/bin/kubectl
# A fixed numeric uid, so runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --gid 10001 opsbook && useradd --uid 10001 --gid 10001 --home-dir /work --create-home --shell /usr/sbin/nologin opsbook
USER 10001:10001
WORKDIR /work
ENV HOME=/work NODE_ENV=production
ENTRYPOINT ["opsbook"]
CMD ["--help"]
