# syntax=docker/dockerfile:1
# Viesti in a container: `docker build -t viesti .`, then run it as docs/deploy.md shows (behind a
# TLS proxy, with PUBLIC_BASE_URL, VIESTI_ENCRYPTION_KEY, DATABASE_URL, SMTP_URL and MAIL_FROM set).

# Build: the same tools, pinned the same way, as scripts/install; the same build as scripts/test.
FROM rust:1.95-bookworm AS build
# Node 20 for the pinned tailwind and wasm-opt (Debian's node is too old for tailwind 4).
COPY --from=node:20-bookworm /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s /usr/local/lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY Cargo.toml Cargo.lock package.json package-lock.json ./
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads \
 && cargo install wasm-bindgen-cli --version "=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)" \
 && npm ci --no-audit --no-fund
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    PATH="/src/node_modules/.bin:$PATH" cargo leptos build --release --split \
 && mkdir -p /out \
 && cp target/release/viesti /out/viesti \
 && cp -r target/site /out/site

# Run: a small Debian with CA certificates (Twilio and the model endpoint are reached over https),
# as an unprivileged user whose only writable place is the data directory.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/viesti --shell /usr/sbin/nologin viesti \
 && mkdir -p /var/lib/viesti \
 && chown viesti:viesti /var/lib/viesti
COPY --from=build /out/viesti /opt/viesti/viesti
COPY --from=build /out/site /opt/viesti/site
COPY Leptos.toml /opt/viesti/Leptos.toml
WORKDIR /opt/viesti
ENV LEPTOS_SITE_ROOT=/opt/viesti/site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    VIESTI_DATA_DIR=/var/lib/viesti
USER viesti:viesti
EXPOSE 3000
VOLUME ["/var/lib/viesti"]
# SIGTERM (docker stop) finishes in-flight requests and hands reply jobs back to the queue.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/viesti/viesti"]
CMD ["serve"]
