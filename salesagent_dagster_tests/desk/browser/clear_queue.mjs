// Clears the review desk's queue in Debian's chromium, counting the operator's actions
// (each click, fill or key press) per decision; prints one JSON line for the Python test.
// Env: DESK_URL, CHROMIUM, SHOTS (folder), PLAN (JSON: name, password, approve, edit,
// reject, refused, bulk: the leads' names as the queue shows them).
import { chromium } from "playwright-core";

const plan = JSON.parse(process.env.PLAN);
const shots = process.env.SHOTS;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  args: ["--no-sandbox", "--disable-gpu"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const counts = {};
const flashes = {};
const errors = [];
page.on("pageerror", (error) => errors.push(String(error)));
// Any script error or CSP violation shows here; a failed load is kept with its URL below.
page.on("console", (message) => {
  if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) errors.push(message.text());
});
page.on("response", (response) => {
  if (response.status() >= 400 && !response.url().endsWith("/favicon.ico")) errors.push(`${response.status()} ${response.url()}`);
});

let current = null;
async function act(what) { counts[current] = (counts[current] || 0) + 1; return what(); }
async function decision(label, steps) {
  current = label;
  await steps();
  flashes[label] = (await page.locator("#flash").textContent()) || "";
}
const openLead = (name) => act(() => page.getByRole("link", { name, exact: false }).first().click());

await page.goto(`${process.env.DESK_URL}/review`);
await page.fill("input[name=name]", plan.name);
await page.fill("input[name=password]", plan.password);
await page.click("button[type=submit]");
await page.waitForURL("**/review");
await page.screenshot({ path: `${shots}/desk-queue.png`, fullPage: true });

await decision("approve", async () => {
  await openLead(plan.approve);
  await page.screenshot({ path: `${shots}/desk-lead.png`, fullPage: true });
  await act(() => page.fill("#reason", "right person, right company"));
  await act(() => page.press("#reason", "Enter"));
  await page.waitForURL("**/review");
});
await decision("edit", async () => {
  await openLead(plan.edit);
  await act(() => page.fill("#edit-body", "Hi Kim,\n\nHappy to show you around on Tuesday.\n\nBest,\nRiley"));
  await act(() => page.click("#edit"));
  await page.waitForURL("**/review");
});
await decision("reject", async () => {
  await openLead(plan.reject);
  await act(() => page.fill("#reason", "a student, not a buyer"));
  await act(() => page.click("#reject"));
  await page.waitForURL("**/review");
});
await decision("refused", async () => {
  await openLead(plan.refused);
  await act(() => page.fill("#reason", "I know them, send it"));
  await act(() => page.click("#approve"));
  await page.waitForURL("**/review");
});
await page.screenshot({ path: `${shots}/desk-refused.png`, fullPage: true });
await decision("bulk", async () => {
  await act(() => page.fill("input[name=q]", plan.bulk_search));
  await act(() => page.click("#bulk-preview"));
  await page.screenshot({ path: `${shots}/desk-bulk-preview.png`, fullPage: true });
  await act(() => page.fill("#bulk-reason", "trade show list, all checked"));
  await act(() => page.click("#bulk-approve"));
  await page.waitForURL("**/review");
});
await page.screenshot({ path: `${shots}/desk-done.png`, fullPage: true });
// j/k move the highlight without a mouse.
await page.keyboard.press("j");
const highlighted = await page.locator("tr.current").count();
await browser.close();
console.log(JSON.stringify({ counts, flashes, errors, highlighted }));
