import { expect, test, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expectAccessible, hydrated, screenshot, signUp } from "./helpers";

// Runs after sms.spec.ts (files run in name order): it points the emulator's one demo number at our
// webhook, which sms.spec.ts expects to find pointing nowhere. Like support-inbox.spec.ts, it frees
// the number again afterwards.
test.describe.configure({ timeout: 150_000 });

const ARTICLE = path.join(__dirname, "..", "fixtures", "opening-hours.md");

let connected = false;

test.afterEach(async ({ page }) => {
  if (!connected) return;
  await page.goto("/chatbots");
  await hydrated(page);
  await page.getByRole("link", { name: /Café bot/ }).click();
  await page.getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("link", { name: "SMS (Twilio)" }).click();
  await expect(page.getByRole("heading", { name: "Café line" })).toBeVisible();
  const confirm = page.getByRole("button", { name: "Yes, disconnect" });
  await expect(async () => {
    if (!(await confirm.isVisible())) {
      await page.getByRole("button", { name: "Disconnect Twilio…" }).click();
    }
    await expect(confirm).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 45_000 });
  await confirm.click();
  await expect(page.getByText("Twilio disconnected. Your credentials are deleted.")).toBeVisible();
  connected = false;
});

/** Connects the emulator's demo number to the chatbot and points its webhook at us. */
async function connectDemoNumber(page: Page) {
  await page.getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("link", { name: "SMS (Twilio)" }).click();
  await expect(page.getByRole("heading", { name: "Connect your Twilio account" })).toBeVisible();
  await hydrated(page);
  const sid = (await page.getByTestId("demo-sid").textContent())!.trim();
  const token = (await page.getByTestId("demo-token").textContent())!.trim();
  const number = (await page.getByTestId("demo-number").textContent())!.trim();
  await page.getByLabel("Account SID").fill(sid);
  await page.getByLabel("Auth Token").fill(token);
  await page.getByLabel("Twilio phone number").fill(number);
  await page.getByLabel("Friendly name (optional)").fill("Café line");
  await page.getByRole("button", { name: "Connect Twilio" }).click();
  await expect(page.getByRole("heading", { name: "Café line" })).toBeVisible();
  connected = true;
  await hydrated(page);
  await page.getByRole("button", { name: "Configure Twilio for me" }).click();
  await expect(page.getByTestId("webhook-check")).toContainText("Twilio sends this number's messages here");
}

async function text(simulator: Page, body: string) {
  await simulator.getByLabel("Message").fill(body);
  await simulator.getByRole("button", { name: "Send text" }).click();
  await expect(simulator.getByTestId("sim-thread")).toContainText(body);
}

test("a knowledge base answers texts, and a question it cannot answer goes to a person", async ({
  page,
  context,
}) => {
  await signUp(page);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Café bot");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Café bot" })).toBeVisible();
  const chatbotUrl = page.url();

  // Knowledge, from the main navigation: empty at first, with what a knowledge base is for.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Knowledge" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Knowledge" })).toBeVisible();
  await expect(page.getByText("No knowledge bases yet")).toBeVisible();
  await hydrated(page);
  await expectAccessible(page);
  await expect(page.getByLabel("Language of the documents")).toHaveValue("english");
  await page.getByLabel("Name", { exact: true }).fill("Help centre");
  await page.getByRole("button", { name: "Create knowledge base" }).click();
  await expect(page).toHaveURL(/\/knowledge\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Help centre" })).toBeVisible();
  await expect(page.getByText("No documents yet")).toBeVisible();
  await hydrated(page);

  // A file it cannot read is refused in words, naming the file.
  await page.getByLabel("Choose files").setInputFiles({
    name: "logo.png",
    mimeType: "image/png",
    buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByTestId("upload-errors")).toContainText("logo.png: this kind of file can't be read");

  // The help article: uploaded, processed, ready.
  await page.getByLabel("Choose files").setInputFiles(ARTICLE);
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByTestId("upload-status")).toContainText("Processing");
  await expect(page.getByTestId("upload-errors")).not.toContainText("logo.png");
  const row = page.getByTestId("document-row");
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("opening-hours.md");
  await expect(row).toContainText("Markdown");
  await expect(row.getByTestId("document-state")).toContainText(/Ready · \d+ passages?/);
  mkdirSync("../docs/screenshots", { recursive: true });
  await page.screenshot({ path: "../docs/screenshots/knowledge-base.png", fullPage: true });
  await expectAccessible(page);

  // The chatbot answers from it, in replies of at most three segments.
  await page.goto(chatbotUrl);
  await expect(page.getByRole("heading", { level: 2, name: "Knowledge" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("checkbox", { name: "Help centre" }).check();
  await expect(page.getByLabel("SMS reply length")).toHaveValue("3");
  await page.getByRole("button", { name: "Save knowledge settings" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await screenshot(page, "40-chatbot-knowledge");
  await expectAccessible(page);

  // "Try your chatbot" is the real website widget: it answers from the same knowledge base.
  const preview = page.getByRole("region", { name: "Try your chatbot" });
  await expect(preview.getByRole("heading", { name: "Café bot" })).toBeVisible();
  await preview.getByLabel("Your message").fill("when are you open on saturdays");
  await preview.getByLabel("Your message").press("Enter");
  const botSaid = preview.locator(".msg[data-from='bot']");
  await expect(botSaid).toHaveCount(1);
  await expect(botSaid).toContainText("Saturdays 10");
  const webAnswer = await botSaid.evaluate((el) => el.lastChild!.textContent!.trim());
  await screenshot(page, "42-try-your-chatbot");
  await preview.screenshot({ path: "../docs/screenshots/try-your-chatbot.png" });

  await connectDemoNumber(page);
  const answered = page.getByTestId("sms-agent");
  await expect(answered).toContainText("the same agent as your website chat");
  await expect(answered.getByRole("link", { name: "Help centre" })).toBeVisible();
  await expect(answered).toContainText("within 3 segments (up to 459 characters)");
  await expectAccessible(page);

  // A customer texts the question; the answer comes from the article.
  const simulator = await context.newPage();
  await simulator.goto(`${chatbotUrl}/integrations/channels/sms/simulator`);
  await hydrated(simulator);
  // A number of this test's own: the emulator keeps the other tests' texts to its demo number.
  await simulator.getByLabel("Customer's phone number").fill("+358401110077");
  await simulator.getByLabel("Customer's phone number").dispatchEvent("change");
  await text(simulator, "when are you open on saturdays");
  const replies = simulator.getByTestId("sim-thread").locator("li");
  await expect(replies).toHaveCount(2);
  await expect(replies.last()).toContainText("10");
  await expect(replies.last()).toContainText("15");
  await expect(replies.last()).toContainText("Saturdays");
  // The same answer as the widget gave; SMS only swaps characters outside GSM-7 (9–17 → 9-17).
  await expect(replies.last()).toContainText(webAnswer.replace(/–/g, "-"));

  // Nothing in the knowledge base answers this: a person is asked to.
  await text(simulator, "can i rent a car");
  await expect(replies).toHaveCount(4);
  await expect(replies.last()).toContainText("A person from our team will reply");
  await screenshot(simulator, "41-simulator-knowledge");

  // On the website, asking for a person: the widget says one will reply, and the bot stops.
  await page.goto(chatbotUrl);
  const widget = page.getByRole("region", { name: "Try your chatbot" });
  await expect(widget.locator(".msg[data-from='bot']")).toHaveCount(1);
  await widget.getByLabel("Your message").fill("can i talk to a person");
  await widget.getByRole("button", { name: "Send" }).click();
  await expect(widget.locator(".msg[data-from='notice']").last()).toContainText(
    "A person from our team will reply",
  );

  await page.goto("/inbox");
  await hydrated(page);
  const rows = page.getByTestId("conversation-row");
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId("row-status")).toHaveText(["Needs a person", "Needs a person"]);
  const web = rows.filter({ hasText: "Web visitor" });
  await expect(web).toContainText("Web");
  await expect(web).toContainText("A person from our team will reply");

  // A person answers from the inbox; the visitor sees it in the widget without reloading.
  await web.click();
  await hydrated(page);
  await page.getByLabel("Reply in the website chat").fill("Hi, this is Anna from the café. How can I help?");
  await page.getByRole("button", { name: "Send reply" }).click();
  const visitorPage = await context.newPage();
  await visitorPage.goto(chatbotUrl);
  const visitorWidget = visitorPage.getByRole("region", { name: "Try your chatbot" });
  await expect(visitorWidget.locator(".msg[data-from='person']")).toContainText("Anna from the café");
});
