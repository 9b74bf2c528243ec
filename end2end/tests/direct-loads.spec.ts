import { expect, test, type Page } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

/** Collects what the browser refused under the Content-Security-Policy, and uncaught errors. */
function watchForRefusals(page: Page): string[] {
  const refused: string[] = [];
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (load|execute|apply|connect|compile|evaluate)/i.test(text)) {
      refused.push(text);
    }
  });
  page.on("pageerror", (error) => refused.push(`page error: ${error.message}`));
  return refused;
}

test("every dashboard page, loaded directly and reloaded, hydrates under the security policy", async ({ page }) => {
  const refused = watchForRefusals(page);
  await signUp(page);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Direct loads");
  await page.getByLabel("System prompt").fill("Answer briefly.");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page).toHaveURL(/\/chatbots\/[0-9a-f-]{36}$/);
  const chatbot = new URL(page.url()).pathname;

  const pages: [string, string | RegExp][] = [
    ["/chatbots", "Chatbots"],
    [chatbot, "Direct loads"],
    [`${chatbot}/integrations/channels`, "Direct loads"],
    [`${chatbot}/integrations/channels/sms`, "Direct loads"],
    [`${chatbot}/integrations/channels/web`, "Direct loads"],
    ["/knowledge", "Knowledge"],
    ["/inbox", /Inbox|Conversations/],
    ["/team", "Team"],
  ];
  // Each page twice, as a bookmark and a reload do: the server's page must survive hydration.
  for (const [path, heading] of pages) {
    for (const load of ["direct", "reload"]) {
      if (load === "direct") {
        await page.goto(path);
      } else {
        await page.reload();
      }
      await hydrated(page);
      await expect(page.getByRole("heading", { level: 1, name: heading }).first(), `${path} (${load})`).toBeVisible();
      await expect(page.getByRole("alert").filter({ hasText: /doesn't exist|went wrong/ }), `${path} (${load})`).toHaveCount(0);
    }
  }
  expect(refused).toEqual([]);
});
