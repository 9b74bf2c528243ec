import { expect, test, type Page } from "@playwright/test";
import {
  PASSWORD,
  expectAccessible,
  hydrated,
  joinByInvite,
  screenshot,
  signUp,
  uniqueEmail,
} from "./helpers";

// This file runs after sms.spec.ts (files run in name order): it leaves the emulator's demo number
// pointing at our webhook, while sms.spec.ts starts from a number that points nowhere.
// Each test connects SMS, texts, and frees the number again: more than the default minute on 2 cores.
test.describe.configure({ timeout: 150_000 });

// The emulator has one demo SMS number and a number serves one chatbot: each test frees it again.
let connectedAt: string | null = null;

test.afterEach(async ({ page }) => {
  if (!connectedAt) return;
  // Through the links, as a person would (a direct load of the SMS page after these tests has been
  // seen to fail hydration now and then: an open bug, noted on the issue).
  await page.goto("/chatbots");
  await hydrated(page);
  await page.getByRole("link", { name: /Kahvila bot/ }).click();
  await page.getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("link", { name: "SMS (Twilio)" }).click();
  await expect(page.getByRole("heading", { name: "Kahvila line" })).toBeVisible();
  const confirm = page.getByRole("button", { name: "Yes, disconnect" });
  await expect(async () => {
    if (!(await confirm.isVisible())) {
      await page.getByRole("button", { name: "Disconnect Twilio…" }).click();
    }
    await expect(confirm).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 45_000 });
  await confirm.click();
  await expect(page.getByText("Twilio disconnected. Your credentials are deleted.")).toBeVisible();
  connectedAt = null;
});

/** Signs up, creates a chatbot, connects the emulator's demo number and points its webhook at us. */
async function connectDemoNumber(page: Page): Promise<string> {
  await signUp(page);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Kahvila bot");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Kahvila bot" })).toBeVisible();
  const chatbotUrl = page.url();
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
  await page.getByLabel("Friendly name (optional)").fill("Kahvila line");
  await page.getByRole("button", { name: "Connect Twilio" }).click();
  await expect(page.getByRole("heading", { name: "Kahvila line" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Configure Twilio for me" }).click();
  await expect(page.getByTestId("webhook-check")).toContainText("Twilio sends this number's messages here");
  connectedAt = chatbotUrl;
  return chatbotUrl;
}

async function textFromSimulator(simulator: Page, from: string, body: string) {
  await simulator.getByLabel("Customer's phone number").fill(from);
  await simulator.getByLabel("Customer's phone number").dispatchEvent("change");
  await simulator.getByLabel("Message").fill(body);
  await simulator.getByRole("button", { name: "Send text" }).click();
  await expect(simulator.getByTestId("sim-thread")).toContainText(body);
}

test("support staff watch texts arrive live, take over, answer with an emoji and hand back", async ({
  page,
  context,
}) => {
  const chatbotUrl = await connectDemoNumber(page);

  // The inbox, open before anything arrives.
  await page.getByRole("link", { name: "Inbox" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
  await hydrated(page);
  await expect(page.getByText("No conversations yet")).toBeVisible();
  await expect(page.getByTestId("live-status")).toHaveText("Live");

  // A customer texts from the phone simulator, in another tab.
  const simulator = await context.newPage();
  await simulator.goto(`${chatbotUrl}/integrations/channels/sms/simulator`);
  await hydrated(simulator);
  await textFromSimulator(simulator, "+358501234567", "Onko kauramaitoa?");

  // It appears in the inbox without a reload, with its SMS badge.
  const rows = page.getByTestId("conversation-row");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("+358 50 1234567");
  await expect(rows.first().getByTestId("channel-badge")).toContainText("SMS");
  await expect(rows.first().getByTestId("channel-badge")).toContainText("Kahvila line");
  await expect(rows.first()).toContainText("Unread");

  // Open it: the bot's reply is there, delivered.
  await rows.first().click();
  await expect(page.getByTestId("conversation-customer")).toHaveText("+358 50 1234567");
  await hydrated(page);
  const thread = page.getByTestId("thread");
  await expect(thread).toContainText("Onko kauramaitoa?");
  await expect(thread.getByTestId("delivery-state").last()).toHaveText("Delivered");

  // A second customer's phone is switched off: the reply shows why it did not arrive.
  await textFromSimulator(simulator, "+358409990303", "Are you open on Sunday?");
  await expect(rows).toHaveCount(2);
  await rows.first().click();
  await expect(page.getByTestId("conversation-customer")).toHaveText("+358 40 9990303");
  await expect(page.getByTestId("delivery-reason").last()).toContainText(
    "The customer's phone is unreachable (switched off or out of coverage). (Twilio error 30003)",
  );
  await expect(page.getByRole("button", { name: "Send again" })).toBeVisible();
  await screenshot(page, "31-inbox-undelivered");

  // Back to the first customer: take over and answer by hand.
  await rows.nth(1).click();
  await expect(page.getByTestId("conversation-customer")).toHaveText("+358 50 1234567");
  await hydrated(page);
  await page.getByRole("button", { name: "Take over" }).click();
  await expect(page.getByTestId("conversation-status")).toHaveText("With a person");
  await expect(page.getByTestId("conversation-assignee")).toHaveText("Assigned to you");
  await expect(thread).toContainText("took over the conversation");

  const reply = page.getByLabel("Reply by SMS");
  await reply.fill("Kyllä on! Tervetuloa");
  await expect(page.getByTestId("reply-count")).toHaveText("20 / 1600 characters · 1 segment · GSM-7");
  await reply.fill("Kyllä on! Tervetuloa 🙂");
  await expect(page.getByTestId("reply-count")).toHaveText("22 / 1600 characters · 1 segment · UCS-2");
  await expect(page.getByTestId("reply-encoding")).toContainText("UCS-2 because of: 🙂");
  await screenshot(page, "30-inbox-thread");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(reply).toHaveValue("");
  await expect(thread).toContainText("Kyllä on! Tervetuloa 🙂");
  await expect(thread.getByTestId("delivery-state").last()).toHaveText("Delivered");

  // The customer got it on their phone.
  await simulator.getByLabel("Customer's phone number").fill("+358501234567");
  await simulator.getByLabel("Customer's phone number").dispatchEvent("change");
  await expect(simulator.getByTestId("sim-thread")).toContainText("Kyllä on! Tervetuloa 🙂");

  await page.getByRole("button", { name: "Hand back to the bot" }).click();
  await expect(page.getByTestId("conversation-status")).toHaveText("Bot answering");
  await page.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByTestId("conversation-status")).toHaveText("Resolved");
  await expect(page.getByRole("button", { name: "Reopen" })).toBeVisible();
  await screenshot(page, "29-inbox-list");

  await page.goto("/inbox");
  await hydrated(page);
  await expect(page.getByText("Pick a conversation")).toBeVisible();
  await expectAccessible(page);
});

test("a customer who asks for a person shows up as needing one, everywhere", async ({ page, context }) => {
  const chatbotUrl = await connectDemoNumber(page);
  const simulator = await context.newPage();
  await simulator.goto(`${chatbotUrl}/integrations/channels/sms/simulator`);
  await hydrated(simulator);
  await textFromSimulator(simulator, "+358501112223", "can i talk to a human");
  await expect(simulator.getByTestId("sim-thread")).toContainText("A person from our team will reply");

  await page.goto("/chatbots");
  await hydrated(page);
  await expect(page.getByTestId("needs-person-count")).toContainText("1");
  await page.getByRole("link", { name: /Inbox/ }).click();
  await page.getByLabel("Status").selectOption("needs_human");
  await expect(page).toHaveURL(/status=needs_human/);
  await expect(page.getByTestId("conversation-row")).toHaveCount(1);
  await expect(page.getByTestId("row-status")).toHaveText("Needs a person");
});

test("an agent who joined by invite link answers in the inbox but cannot open the SMS settings", async ({
  page,
  browser,
}) => {
  const chatbotUrl = await connectDemoNumber(page);
  await page.getByRole("link", { name: "Team", exact: true }).click();
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = await page.getByLabel("Invite link").inputValue();

  const context = await browser.newContext();
  const agent = await context.newPage();
  await agent.goto(link);
  await hydrated(agent);
  await joinByInvite(agent, link, uniqueEmail("agent"));
  await hydrated(agent);
  await expect(agent.getByText("No conversations yet")).toBeVisible();

  // A customer texts; the agent sees it arrive and takes it.
  const simulator = await page.context().newPage();
  await simulator.goto(`${chatbotUrl}/integrations/channels/sms/simulator`);
  await hydrated(simulator);
  await textFromSimulator(simulator, "+358501230000", "Hei, onko pöytiä vapaana?");
  await expect(agent.getByTestId("conversation-row")).toHaveCount(1);
  await agent.getByTestId("conversation-row").first().click();
  await hydrated(agent);
  await agent.getByRole("button", { name: "Take over" }).click();
  await expect(agent.getByTestId("conversation-assignee")).toHaveText("Assigned to you");

  // The SMS settings (and the credentials on them) are not for agents.
  await agent.goto(`${chatbotUrl}/integrations/channels/sms`);
  await expect(agent.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(agent.locator("body")).not.toContainText("ACde70");
  await context.close();
});

test("keyboard only: move through the list and open a conversation", async ({ page, context }) => {
  const chatbotUrl = await connectDemoNumber(page);
  const simulator = await context.newPage();
  await simulator.goto(`${chatbotUrl}/integrations/channels/sms/simulator`);
  await hydrated(simulator);
  await textFromSimulator(simulator, "+358501110001", "First");
  await textFromSimulator(simulator, "+358501110002", "Second");

  await page.goto("/inbox");
  await hydrated(page);
  await expect(page.getByTestId("conversation-row")).toHaveCount(2);
  // Tab from the top of the page until a conversation has focus.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press("Tab");
    const onRow = await page.evaluate(() => document.activeElement?.getAttribute("data-testid") === "conversation-row");
    if (onRow) break;
  }
  await expect(page.getByTestId("conversation-row").first()).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("conversation-row").nth(1)).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("conversation-customer")).toHaveText("+358 50 1110001");
});
