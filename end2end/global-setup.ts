// `cargo leptos end-to-end` starts the server and runs Playwright at once, without waiting for the
// server to listen: wait here until /healthz answers.
export default async function globalSetup() {
  const base = process.env.VIESTI_E2E_BASE_URL ?? "http://127.0.0.1:3000";
  const deadline = Date.now() + 120_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the server at ${base} never became healthy: ${last}`);
}
