import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { mkdirSync } from "node:fs";

export const PASSWORD = "correct horse battery";

export function uniqueEmail(prefix = "e2e"): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until the WASM bundle has hydrated the page (the app marks <body> when it has). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync("screenshots", { recursive: true });
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}

/** Fails on any serious or critical WCAG 2.1 A/AA violation. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
  ).toEqual([]);
}

/**
 * Signs up as a person does: the form, "check your inbox", then the link from the mail. The test
 * servers have no mail server (no SMTP_URL), so the mail is in the local mailbox at /mailbox.
 * `base` is the server's address when it is not the configured one.
 */
export async function signUp(page: Page, email = uniqueEmail(), base = "") {
  await page.goto(`${base}/signup`);
  await hydrated(page);
  await page.getByLabel("Business or team name").fill("Kahvila Aalto");
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("sign-up-sent")).toContainText(email);
  await openConfirmationLink(page, email, base);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page).toHaveURL(/\/chatbots$/);
  return email;
}

/** Opens the newest confirmation link mailed to `email`, from the local mailbox. */
export async function openConfirmationLink(page: Page, email: string, base = "") {
  await page.goto(`${base}/mailbox`);
  const link = page.locator("article", { hasText: email }).first().getByRole("link");
  const href = await link.getAttribute("href");
  expect(href).toContain("/signup/confirm/");
  await page.goto(href!);
  await hydrated(page);
}

/** Joins by an invite link as a person does: the form, then the link from the mail. */
export async function joinByInvite(page: Page, invite: string, email: string) {
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Choose a password").fill(PASSWORD);
  await page.getByRole("button", { name: "Join the team" }).click();
  await expect(page.getByTestId("sign-up-sent")).toContainText(email);
  await openConfirmationLink(page, email, new URL(invite).origin);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page).toHaveURL(/\/inbox$/);
}
