import { expect, test } from "@playwright/test";
import {
  PASSWORD,
  expectAccessible,
  hydrated,
  openConfirmationLink,
  screenshot,
  signUp,
  uniqueEmail,
} from "./helpers";

test("the sign-up page checks fields as you type, once the page is interactive", async ({ page }) => {
  await page.goto("/signup");
  await hydrated(page);
  await screenshot(page, "01-sign-up");
  await expectAccessible(page);

  const email = page.getByLabel("Work email");
  await email.fill("not-an-email");
  await email.blur();
  await expect(page.getByText("Enter an email address like name@example.com.")).toBeVisible();
  await expect(email).toHaveAttribute("aria-invalid", "true");

  // The Show toggle only works with the WASM bundle live: this is the hydration proof.
  const password = page.getByLabel("Password", { exact: true });
  await password.fill("short");
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show password" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(page.getByRole("button", { name: "Hide password" })).toHaveAttribute("aria-pressed", "true");
  await password.blur();
  await expect(page.getByText("Use at least 10 characters for your password.")).toBeVisible();
  await screenshot(page, "02-sign-up-inline-errors");
});

test("signing up mails a link, and opening it makes the workspace", async ({ page }) => {
  const email = uniqueEmail("confirm");
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Business or team name").fill("Kahvila Aalto");
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  const sent = page.getByTestId("sign-up-sent");
  await expect(sent).toContainText("Check your inbox");
  await expect(sent).toContainText(email);
  await expect(page.getByTestId("local-mailbox")).toBeVisible();
  await screenshot(page, "02-sign-up-check-inbox");
  await expectAccessible(page);

  // "Enter the address again" brings the form back.
  await page.getByRole("button", { name: "enter the address again" }).click();
  await expect(page.getByLabel("Work email")).toBeVisible();

  await openConfirmationLink(page, email);
  await expect(page.getByRole("heading", { name: "Confirm your address" })).toBeVisible();
  await expectAccessible(page);
  // The button has the focus: Enter confirms.
  await expect(page.getByRole("button", { name: "Create my account" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/chatbots$/);

  // The link worked once.
  await page.context().clearCookies();
  await openConfirmationLink(page, email);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page.getByRole("alert")).toContainText("already used");
});

test("a new owner signs up, creates a chatbot and reaches its channels", async ({ page }) => {
  await signUp(page);
  await hydrated(page);
  await expect(page.getByText("No chatbots yet")).toBeVisible();
  await screenshot(page, "03-chatbots-empty");
  await expectAccessible(page);

  await page.getByLabel("Name", { exact: true }).fill("Product support");
  const counter = page.getByTestId("system_prompt-count");
  await page.getByLabel("System prompt").fill("Answer in Finnish or English, briefly.");
  await expect(counter).toHaveText("38 / 8000");
  await page.getByRole("button", { name: "Create chatbot" }).click();

  await expect(page).toHaveURL(/\/chatbots\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: "Product support" })).toBeVisible();
  await screenshot(page, "04-chatbot-settings");
  await expectAccessible(page);

  await page.getByRole("link", { name: "Integrations" }).click();
  await expect(page).toHaveURL(/\/integrations\/channels$/);
  await expect(page.getByRole("heading", { name: "Channels" })).toBeVisible();
  await expect(page.getByText("SMS (Twilio)")).toBeVisible();
  await expect(page.getByText("Website widget")).toBeVisible();
  await expect(page.getByText("Not connected").first()).toBeVisible();
  await screenshot(page, "05-channels");
  await expectAccessible(page);

  await page.getByRole("link", { name: "Chatbots", exact: true }).first().click();
  await expect(page.getByRole("link", { name: /Product support/ })).toBeVisible();
});

test("renaming and deleting a chatbot asks before it deletes", async ({ page }) => {
  await signUp(page);
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Old name");
  await page.getByRole("button", { name: "Create chatbot" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Old name" })).toBeVisible();
  await hydrated(page);

  await page.getByLabel("Name", { exact: true }).fill("New name");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "New name" })).toBeVisible();

  await page.getByRole("button", { name: "Delete chatbot…" }).click();
  await expect(page.getByText("Delete “New name” for good?")).toBeVisible();
  await screenshot(page, "06-delete-confirm");
  await page.getByRole("button", { name: "Yes, delete it" }).click();
  await expect(page).toHaveURL(/\/chatbots$/);
  await expect(page.getByText("No chatbots yet")).toBeVisible();
});

test("signing out and back in", async ({ page }) => {
  const email = await signUp(page, uniqueEmail("return"));
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/chatbots");
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("That email and password don't match an account.")).toBeVisible();
  await screenshot(page, "07-sign-in-error");
  await expectAccessible(page);
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/chatbots$/);
});

test("an unknown address shows the 404 page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page doesn't exist" })).toBeVisible();
  await screenshot(page, "08-not-found");
  await expectAccessible(page);
});

test("the keyboard reaches every control with a visible focus", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  const selector = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea";
  const controls = await page.locator(selector).count();
  expect(controls).toBeGreaterThan(3);
  // Tab through the page once: every control is reached, and each shows where the focus is.
  const reached = new Map<number, string>();
  for (let press = 0; press < controls + 2; press++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate((selector) => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return {
        index: Array.from(document.querySelectorAll(selector)).indexOf(el),
        ring: style.outlineStyle !== "none" || style.boxShadow !== "none",
      };
    }, selector);
    if (focused && focused.index >= 0) reached.set(focused.index, focused.ring ? "visible" : "invisible");
  }
  expect(reached.size).toBe(controls);
  expect([...reached.values()].every((ring) => ring === "visible")).toBe(true);
});

test("static files from public/ are served", async ({ request }) => {
  const response = await request.get("/favicon.svg");
  expect(response.status()).toBe(200);
  expect(await response.text()).toContain("<svg");
});
