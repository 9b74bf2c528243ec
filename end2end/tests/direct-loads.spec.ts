import { expect, test, type Page } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

/** Collects what the browser refused under the Content-Security-Policy. */
function watchForRefusals(page: Page): string[] {
  const refused: string[] = [];
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (load|execute|apply|connect|compile|evaluate)/i.test(text)) {
      refused.push(text);
    }
  });
  return refused;
}

// The policy names this response's nonce, and every script, stylesheet, font, image and wasm chunk a
// page needs comes from this origin: nothing a page loads may be refused. Each page is loaded the way
// a bookmark and a reload load it (not through the app's own navigation), and the check waits until
// the page has loaded its route's code and hydrated, without a panic.
test("every dashboard page, loaded directly and reloaded, has nothing refused by its security policy", async ({ page }) => {
  const refused = watchForRefusals(page);
  const panics: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("panicked")) panics.push(message.text());
  });
  await signUp(page);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Direct loads");
  await page.getByLabel("System prompt").fill("Answer briefly.");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page).toHaveURL(/\/chatbots\/[0-9a-f-]{36}$/);
  const chatbot = new URL(page.url()).pathname;

  const pages = [
    "/chatbots",
    chatbot,
    `${chatbot}/integrations/channels`,
    `${chatbot}/integrations/channels/sms`,
    `${chatbot}/integrations/channels/sms/simulator`,
    `${chatbot}/integrations/channels/web`,
    "/knowledge",
    "/inbox",
    "/team",
  ];
  for (const path of pages) {
    for (const load of ["direct", "reload"]) {
      const response = load === "direct" ? await page.goto(path) : await page.reload();
      expect(response?.headers()["content-security-policy"], `${path} (${load})`).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'/);
      await expect
        .poll(async () => panics.length > 0 || (await page.locator("body[data-hydrated]").count()) === 1, {
          message: `${path} (${load}) hydrated`,
        })
        .toBe(true);
      expect(panics, `${path} (${load})`).toEqual([]);
    }
  }
  expect(refused).toEqual([]);
});

// A page's resources reach the browser in the order the server made them, and the server may
// render the frame and the page two or three times before it answers. A resource whose fetch called
// a second server function after the first had answered could run that call in a discarded render,
// with no context left, and its failure was the first copy the browser found: it hydrated an error
// panel where the server had rendered the page, and panicked (one server function per resource now,
// as on every page). Holding each route's code back 400 ms made it show in about half the loads.
test("chatbot pages hydrate when loaded directly, however late their code arrives", async ({ page }) => {
  const panics: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("panicked")) panics.push(message.text());
  });
  await signUp(page);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Late code");
  await page.getByLabel("System prompt").fill("Answer briefly.");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page).toHaveURL(/\/chatbots\/[0-9a-f-]{36}$/);
  const chatbot = new URL(page.url()).pathname;

  // Every file under /pkg but the main bundle is a lazily loaded route's code.
  const lazyCode = (url: URL) =>
    url.pathname.startsWith("/pkg/") &&
    /\.(js|wasm)$/.test(url.pathname) &&
    !["/pkg/viesti.js", "/pkg/viesti_bg.wasm"].includes(url.pathname);
  await page.route(lazyCode, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    await route.continue();
  });
  for (const path of [
    chatbot,
    `${chatbot}/integrations/channels`,
    `${chatbot}/integrations/channels/sms`,
    `${chatbot}/integrations/channels/web`,
    "/chatbots",
    "/knowledge",
    "/inbox",
    "/team",
  ]) {
    await page.goto(path);
    await expect
      .poll(async () => panics.length > 0 || (await page.locator("body[data-hydrated]").count()) === 1, {
        message: `${path} hydrated`,
      })
      .toBe(true);
    expect(panics, path).toEqual([]);
  }
});
