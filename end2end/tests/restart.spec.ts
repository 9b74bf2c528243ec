import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hydrated, signUp, uniqueEmail } from "./helpers";

// A server of its own (the suite's shared one must keep running), restarted under an open inbox.
const PORT = 3200;
const BASE = `http://127.0.0.1:${PORT}`;
const ROOT = resolve(__dirname, "../..");

function binary(): string {
  const target = process.env.CARGO_TARGET_DIR;
  if (!target) throw new Error("CARGO_TARGET_DIR must name the build with release/viesti (scripts/test sets it)");
  return join(target, "release", "viesti");
}

const dataDir = mkdtempSync(join(tmpdir(), "viesti-restart-"));
const env = {
  PATH: process.env.PATH ?? "",
  VIESTI_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  DATABASE_URL: `sqlite://${dataDir}/restart.db?mode=rwc`,
  VIESTI_DATA_DIR: dataDir,
  LEPTOS_SITE_ADDR: `127.0.0.1:${PORT}`,
  PUBLIC_BASE_URL: BASE,
};

async function start(): Promise<ChildProcess> {
  const server = spawn(binary(), ["serve"], { cwd: ROOT, env, stdio: "ignore" });
  await expect(async () => {
    const response = await fetch(`${BASE}/healthz`);
    expect(response.ok).toBe(true);
  }).toPass({ timeout: 30_000 });
  return server;
}

async function stop(server: ChildProcess) {
  const exited = new Promise((done) => server.once("exit", done));
  server.kill("SIGTERM");
  await exited;
}

let server: ChildProcess | null = null;

test.afterEach(async () => {
  if (server) await stop(server);
  server = null;
});

test("the open inbox reconnects by itself after the server restarts and shows what came meanwhile", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  server = await start();
  await signUp(page, uniqueEmail("restart"), BASE);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Kahvila bot");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Kahvila bot" })).toBeVisible();
  const chatbot = new URL(page.url()).pathname.split("/")[2];

  await page.goto(`${BASE}/inbox`);
  await hydrated(page);
  const status = page.getByTestId("live-status");
  await expect(status).toHaveText("Live");
  await expect(page.getByText(/Web visitor/)).toHaveCount(0);

  await stop(server);
  server = null;
  await expect(status).toHaveText("Reconnecting…");

  // While the server is down nothing reaches the page; once it is back, a website visitor writes.
  server = await start();
  const sent = await request.post(`${BASE}/api/widget/${chatbot}/messages`, {
    data: { text: "Hello after the restart" },
  });
  expect(sent.status()).toBe(202);

  // The page was never reloaded: its stream came back by itself and the list refetched.
  await expect(status).toHaveText("Live", { timeout: 45_000 });
  await expect(page.getByText(/Web visitor/).first()).toBeVisible({ timeout: 15_000 });
});
