import { expect, test } from "@playwright/test";
import { expectAccessible, hydrated, joinByInvite, screenshot, signUp, uniqueEmail } from "./helpers";

test("an owner invites an agent, who joins with the link, lands in the inbox and sees no chatbots", async ({
  page,
  browser,
}) => {
  await signUp(page);
  await hydrated(page);
  await page.getByRole("link", { name: "Team", exact: true }).click();
  await expect(page).toHaveURL(/\/team$/);
  await expect(page.getByRole("heading", { level: 1, name: "Team" })).toBeVisible();
  await expect(page.getByText("No invite links are open.")).toBeVisible();
  await expectAccessible(page);

  await expect(page.getByLabel("Agent", { exact: true })).toBeChecked();
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = page.getByLabel("Invite link");
  await expect(link).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(page.getByText(/The link works once and expires on/)).toBeVisible();
  await expect(page.getByText("Agent invite", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("button", { name: "Copied" })).toBeVisible();
  await screenshot(page, "20-team-invite-link");
  await expectAccessible(page);
  const url = await link.inputValue();

  const context = await browser.newContext();
  const agent = await context.newPage();
  await agent.goto(url);
  await hydrated(agent);
  await expect(
    agent.getByRole("heading", { level: 1, name: "Join Kahvila Aalto on Viesti as Agent" }),
  ).toBeVisible();
  await screenshot(agent, "21-invite-join");
  await expectAccessible(agent);
  const email = uniqueEmail("agent");
  await joinByInvite(agent, url, email);

  await agent.goto("/chatbots");
  await expect(agent.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(agent.getByRole("link", { name: "Chatbots", exact: true })).toHaveCount(0);
  await expect(agent.getByRole("link", { name: "Go to the inbox" })).toBeVisible();
  await screenshot(agent, "22-agent-not-allowed");

  await agent.goto(url);
  await expect(agent.getByTestId("invite-problem")).toContainText("already been used");
  await context.close();

  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("cell", { name: email, exact: true })).toBeVisible();
  await expect(page.getByText("No invite links are open.")).toBeVisible();
});

test("an owner changes a role, and removing or revoking asks first, with the keyboard following", async ({
  page,
  browser,
}) => {
  await signUp(page);
  await page.goto("/team");
  await hydrated(page);
  await page.getByRole("button", { name: "Create invite link" }).click();
  const url = await page.getByLabel("Invite link").inputValue();
  const context = await browser.newContext();
  const agent = await context.newPage();
  await agent.goto(url);
  await hydrated(agent);
  const email = uniqueEmail("member");
  await joinByInvite(agent, url, email);

  await page.reload();
  await hydrated(page);
  const role = page.getByLabel(`Role of ${email}`);
  await expect(role).toHaveValue("agent");
  await role.selectOption("admin");
  await page.getByRole("button", { name: "Save role" }).click();
  await expect(page.getByText("Role saved.")).toBeVisible();
  await expect(page.getByLabel(`Role of ${email}`)).toHaveValue("admin");

  // The confirm step by keyboard: focus moves into the question, and back to the button on Cancel.
  const remove = page.getByRole("button", { name: `Remove ${email}` });
  await remove.focus();
  await page.keyboard.press("Enter");
  const question = page.getByText(`Remove ${email} from the workspace?`);
  await expect(question).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Yes, remove" })).toBeFocused();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(question).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Remove ${email}` })).toBeFocused();
  await screenshot(page, "23-team-members");
  await expectAccessible(page);

  await page.getByRole("button", { name: `Remove ${email}` }).click();
  await page.getByRole("button", { name: "Yes, remove" }).click();
  await expect(page.getByRole("cell", { name: email, exact: true })).toHaveCount(0);

  // The removed member is signed out at their next request.
  await agent.goto("/team");
  await expect(agent).toHaveURL(/\/login$/);
  await context.close();

  await page.getByLabel("Admin", { exact: true }).check();
  await page.getByRole("button", { name: "Create invite link" }).click();
  await expect(page.getByText("Admin invite", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: /^Revoke the admin invite/ }).click();
  await page.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(page.getByText("No invite links are open.")).toBeVisible();
});
