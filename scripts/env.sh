# Sourced by the other scripts: where builds are cached and where cargo-leptos finds its tools.
# cargo's build cache lives under ~/.cache so a fresh clone (as in CI) rebuilds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/viesti/target}"
# cargo-leptos uses the first tailwindcss / wasm-opt / wasm-bindgen on PATH without checking versions,
# so the pinned npm ones (node_modules/.bin) must come before anything Debian installed.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Playwright must never try to download a browser: Debian's chromium is used.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
