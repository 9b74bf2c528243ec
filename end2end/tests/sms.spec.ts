import { expect, test, type Page } from "@playwright/test";
import { expectAccessible, hydrated, screenshot, signUp } from "./helpers";

async function openSmsSettings(page: Page) {
  await signUp(page);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Text support");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Text support" })).toBeVisible();
  await page.getByRole("link", { name: "Integrations" }).click();
  await page.getByRole("link", { name: "SMS (Twilio)" }).click();
  await expect(page.getByRole("heading", { name: "Connect your Twilio account" })).toBeVisible();
  await hydrated(page);
}

async function fillConnectForm(page: Page, sid: string, token: string, number: string) {
  await page.getByLabel("Account SID").fill(sid);
  await page.getByLabel("Auth Token").fill(token);
  await page.getByLabel("Twilio phone number").fill(number);
}

test("connecting Twilio: inline errors, the three probe errors, connect, copy, configure, disconnect", async ({
  page,
  context,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await openSmsSettings(page);
  await screenshot(page, "20-sms-not-connected");
  await expectAccessible(page);

  const sid = (await page.getByTestId("demo-sid").textContent())!.trim();
  const token = (await page.getByTestId("demo-token").textContent())!.trim();
  const number = (await page.getByTestId("demo-number").textContent())!.trim();

  // Inline errors as the user types, from the same rules the server applies.
  await page.getByLabel("Account SID").fill("AC123");
  await page.getByLabel("Account SID").blur();
  await expect(page.getByText("An Account SID is AC followed by 32 characters")).toBeVisible();
  await page.getByLabel("Auth Token").fill("short");
  await page.getByLabel("Auth Token").blur();
  await expect(page.getByText("An Auth Token is 32 letters and digits (you entered 5).")).toBeVisible();
  await page.getByLabel("Twilio phone number").fill("0401234567");
  await page.getByLabel("Twilio phone number").blur();
  await expect(page.getByText("Start with + and the country code.")).toBeVisible();
  await screenshot(page, "21-sms-inline-errors");

  // Pasted values with spaces and a newline are accepted.
  await fillConnectForm(page, ` ${sid} `, `${token}\n`, "+358 40 123 4567");
  await expect(page.getByText("An Account SID is AC followed")).toHaveCount(0);

  // Each of the probe's outcomes, word for word. A refused submit keeps everything typed, hides a
  // shown token again and puts the cursor in the field at fault.
  const wrongToken = "0123456789abcdef0123456789abcdef";
  await fillConnectForm(page, sid, wrongToken, number);
  await page.getByLabel("Friendly name (optional)").fill("Product support");
  await page.getByRole("button", { name: "Show token" }).click();
  await expect(page.getByLabel("Auth Token")).toHaveAttribute("type", "text");
  await page.getByRole("button", { name: "Connect Twilio" }).click();
  await expect(page.getByTestId("form-error")).toContainText("Twilio rejected the credentials");
  await expect(page.getByLabel("Account SID")).toHaveValue(sid);
  await expect(page.getByLabel("Auth Token")).toHaveValue(wrongToken);
  await expect(page.getByLabel("Auth Token")).toHaveAttribute("type", "password");
  await expect(page.getByLabel("Twilio phone number")).toHaveValue(number);
  await expect(page.getByLabel("Friendly name (optional)")).toHaveValue("Product support");
  await expect(page.getByLabel("Auth Token")).toBeFocused();
  await screenshot(page, "22-sms-credentials-rejected");

  await page.getByLabel("Auth Token").fill(token);
  await page.getByLabel("Twilio phone number").fill("+358401111111");
  await page.getByRole("button", { name: "Connect Twilio" }).click();
  await expect(page.getByTestId("form-error")).toContainText(
    "The phone number you entered doesn't belong to this Twilio account",
  );
  await expect(page.getByLabel("Twilio phone number")).toBeFocused();
  await expect(page.getByLabel("Twilio phone number")).toHaveValue("+358401111111");
  await expect(page.getByLabel("Auth Token")).toHaveValue(token);
  await screenshot(page, "23-sms-number-not-on-account");

  // The emulator's outage account answers every request with 503, as Twilio does in an incident.
  await fillConnectForm(page, "ACfa11fa11fa11fa11fa11fa11fa11fa11", "fa11fa11fa11fa11fa11fa11fa11fa11", number);
  await page.getByRole("button", { name: "Connect Twilio" }).click();
  await expect(page.getByTestId("form-error")).toContainText("Couldn't reach Twilio right now");
  await screenshot(page, "24-sms-twilio-unreachable");

  await fillConnectForm(page, sid, token, number);
  await page.getByLabel("Friendly name (optional)").fill("Product support");
  await page.getByRole("button", { name: "Connect Twilio" }).click();
  await expect(page.getByRole("heading", { name: "Product support" })).toBeVisible();
  await expect(page.getByTestId("sms-number")).toHaveText(number);
  await expect(page.getByTestId("sms-token")).toHaveText(`••••${token.slice(-4)}`);
  await expect(page.locator("body")).not.toContainText(token);

  const webhook = page.getByLabel("Webhook URL (HTTP POST)");
  await expect(webhook).toHaveValue(/\/api\/webhooks\/twilio\/sms$/);
  // This server's PUBLIC_BASE_URL is 127.0.0.1: real Twilio could not call it, and the page says so.
  await expect(page.getByTestId("webhook-warning")).toContainText("points at this computer");
  await expect(page.getByTestId("webhook-warning")).toContainText("set PUBLIC_BASE_URL");
  await expect(page.getByTestId("trial-notice")).toHaveCount(0);
  await expect(page.getByTestId("a2p-notice")).toHaveCount(0);
  await expect(page.getByTestId("sms-terms")).toContainText("Viesti doesn't charge for texts");
  await hydrated(page);
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await webhook.inputValue());

  await expect(page.getByTestId("webhook-check")).toContainText("no webhook for incoming messages");
  await page.getByRole("button", { name: "Configure Twilio for me" }).click();
  await expect(page.getByTestId("webhook-check")).toContainText("Twilio sends this number's messages here");
  await screenshot(page, "25-sms-connected");
  await expectAccessible(page);

  // The phone simulator: text the number as a customer and watch the reply get delivered. No model and
  // no knowledge base yet: the offline responder cannot answer, so it tells the customer a person will.
  await page.getByRole("link", { name: "open the phone simulator" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Phone simulator" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Message").fill("Onko teillä auki huomenna?");
  await page.getByRole("button", { name: "Send text" }).click();
  const thread = page.getByTestId("sim-thread");
  await expect(thread).toContainText("Onko teillä auki huomenna?");
  await expect(thread).toContainText("A person from our team will reply");
  await expect(page.getByTestId("sim-status").last()).toHaveText("delivered");
  await screenshot(page, "27-phone-simulator");
  await expectAccessible(page);
  await page.getByRole("link", { name: "SMS (Twilio)" }).click();
  await expect(page.getByRole("heading", { name: "Product support" })).toBeVisible();
  await hydrated(page);

  await page.getByRole("button", { name: "Disconnect Twilio…" }).click();
  await page.getByRole("button", { name: "Yes, disconnect" }).click();
  await expect(page.getByText("Twilio disconnected. Your credentials are deleted.")).toBeVisible();
  await expect(page.getByText("remove the webhook URL in Twilio Console", { exact: false })).toBeVisible();
  await expect(page.getByRole("button", { name: "Connect Twilio" })).toBeVisible();
  await screenshot(page, "26-sms-disconnected");
});

test("a trial account with a US number: the page says what the trial limits and 10DLC registration mean, and the daily budget is set", async ({
  page,
}) => {
  await openSmsSettings(page);
  // The emulator's second demo account is a trial account with a +1 number.
  await fillConnectForm(page, "AC7e577e577e577e577e577e577e577e57", "7e57c0de7e57c0de7e57c0de7e57c0de", "+12015550123");
  await page.getByRole("button", { name: "Connect Twilio" }).click();
  await expect(page.getByTestId("sms-number")).toHaveText("+12015550123");
  await expect(page.getByTestId("trial-notice")).toContainText("This is a Twilio trial account");
  await expect(page.getByTestId("trial-notice")).toContainText("verified on the account");
  await expect(page.getByTestId("a2p-notice")).toContainText("A2P 10DLC");
  await expect(page.getByTestId("a2p-notice").getByRole("link")).toHaveAttribute("href", /^https:\/\/help\.twilio\.com\//);
  await expect(page.getByTestId("webhook-warning")).toBeVisible();
  await screenshot(page, "28-sms-trial-us-number");
  await expectAccessible(page);

  // The workspace's daily segment budget: today's use, a refusal that keeps what was typed and puts
  // the cursor back, then a saved budget that the page shows and keeps.
  const budget = page.getByLabel("Segments per day");
  await expect(page.getByTestId("segments-today")).toHaveText("Today: 0 of 10000 segments");
  await budget.fill("lots");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByText("Enter a whole number of segments, like 10000.")).toBeVisible();
  await expect(budget).toHaveValue("lots");
  await expect(budget).toBeFocused();
  await budget.fill("2 500");
  await page.getByRole("button", { name: "Save budget" }).click();
  await expect(page.getByTestId("segments-today")).toHaveText("Today: 0 of 2500 segments");
  // Kept: away to the channels and back, the page reads it from the server again.
  await page.getByRole("link", { name: "Channels" }).click();
  await page.getByRole("link", { name: "SMS (Twilio)" }).click();
  await expect(page.getByLabel("Segments per day")).toHaveValue("2500");
});
