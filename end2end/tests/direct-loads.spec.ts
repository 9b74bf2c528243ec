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
// the page has loaded its route's code and hydrated. (A direct load of a lazily loaded chatbot page
// sometimes fails to hydrate, a known problem of its own; such a load still must have nothing
// refused, so the wait also ends when hydration gives up.)
test("every dashboard page, loaded directly and reloaded, has nothing refused by its security policy", async ({ page }) => {
  const refused = watchForRefusals(page);
  let gaveUp = false;
  page.on("console", (message) => {
    if (message.text().includes("panicked")) gaveUp = true;
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
      gaveUp = false;
      const response = load === "direct" ? await page.goto(path) : await page.reload();
      expect(response?.headers()["content-security-policy"], `${path} (${load})`).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'/);
      await expect
        .poll(async () => gaveUp || (await page.locator("body[data-hydrated]").count()) === 1, { message: `${path} (${load}) hydrated` })
        .toBe(true);
    }
  }
  expect(refused).toEqual([]);
});
