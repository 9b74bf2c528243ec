import { expect, test } from "@playwright/test";
import { expectAccessible, screenshot, signUp } from "./helpers";

test("the dashboard fits a phone's width without sideways scrolling", async ({ page }) => {
  await signUp(page);
  await expect(page.getByRole("heading", { name: "Chatbots", level: 1 })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await screenshot(page, "09-phone-chatbots");
  await expectAccessible(page);
});
