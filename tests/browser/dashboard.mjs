// SPDX-License-Identifier: MIT
// Loads the triage watch dashboard in a real headless Chromium and checks it
// against the daemon's own API: one tile per probe with the API's state,
// reason and acknowledgement, the failure modes of the diagnosis (with
// theirs), no console errors or CSP
// violations, a live refresh that follows the API, and no horizontal scroll
// on a phone. Saves screenshots.
//
// env: BASE_URL (http://127.0.0.1:PORT), SCREENSHOT (desktop PNG),
//      SCREENSHOT_PHONE (phone PNG), and optionally READY_FILE, EXPECT_PROBE,
//      EXPECT_STATE: once the first checks pass, READY_FILE is written and
//      the tile of EXPECT_PROBE must turn EXPECT_STATE without a reload.
// exit: 0 when every check passed, 1 otherwise (each failure printed).
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const base = process.env.BASE_URL;
const failures = [];
const fail = (msg) => { failures.push(msg); console.error("FAIL: " + msg); };

async function api(path) {
	const r = await fetch(base + path);
	if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
	return r.json();
}

// statuses: the API's documents the page may have been built from (the
// probes keep running between two requests: one fetched just before and
// one just after, or exactly the one the page's script received).
async function checkTiles(page, statuses, when) {
	const status = statuses[statuses.length - 1];
	for (const p of status.probes) {
		const tile = page.locator(`.tile[data-probe="${p.id}"]`);
		const n = await tile.count();
		if (n !== 1) { fail(`${when}: ${n} tiles for ${p.id}`); continue; }
		const state = await tile.getAttribute("data-state");
		const text = await tile.locator(".reason").textContent();
		const fits = statuses.some((st) => {
			const q = st.probes.find((x) => x.id === p.id);
			return q && q.state === state &&
			    (typeof q.reason !== "string" || q.reason === text);
		});
		if (!fits)
			fail(`${when}: tile ${p.id} is ${state} "${text}", the API says ${p.state} "${p.reason}"`);
		const ack = await tile.locator(".mark.ack").allTextContents();
		const want = p.ack ? ["ACK " + p.ack.by] : [];
		if (JSON.stringify(ack) !== JSON.stringify(want))
			fail(`${when}: tile ${p.id} shows ${JSON.stringify(ack)}, the API's ack is ${JSON.stringify(p.ack)}`);
	}
	const tiles = await page.locator(".tile").count();
	if (tiles !== status.probes.length)
		fail(`${when}: ${tiles} tiles for ${status.probes.length} probes`);
}

async function checkFailures(page, diag, status, when) {
	const shown = await page.locator("section.failure").evaluateAll(
	    (els) => els.map((e) => e.dataset.failure));
	const want = (diag.failures || []).map((f) => f.id);
	if (JSON.stringify(shown) !== JSON.stringify(want))
		fail(`${when}: failures shown ${JSON.stringify(shown)}, the diagnosis has ${JSON.stringify(want)}`);
	for (const f of diag.failures || []) {
		const steps = await page.locator(`section.failure[data-failure="${f.id}"] ol.steps li`).count();
		if (steps !== ((f.fix && f.fix.steps) || []).length)
			fail(`${when}: ${f.id} shows ${steps} fix steps`);
		const st = (status.failures || []).find((x) => x.id === f.id);
		const ack = await page.locator(`section.failure[data-failure="${f.id}"] h3 .mark.ack`).allTextContents();
		const want = st && st.ack ? ["ACK " + st.ack.by] : [];
		if (JSON.stringify(ack) !== JSON.stringify(want))
			fail(`${when}: ${f.id} shows ${JSON.stringify(ack)}, the API's ack is ${JSON.stringify(st && st.ack)}`);
	}
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
	const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
	const errors = [];
	page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
	page.on("pageerror", (e) => errors.push(String(e)));

	// Served HTML first, as rendered by the server.
	const before = await api("/api/v1/status");
	await page.goto(base + "/", { waitUntil: "load" });
	const after = await api("/api/v1/status");
	await checkTiles(page, [before, after], "served");
	await checkFailures(page, await api("/api/v1/diagnosis"), after, "served");

	// Then the script's refresh, against exactly what it received.
	const [seen, seenDiag] = await Promise.all([
		page.waitForResponse((r) => r.url().endsWith("/api/v1/status"), { timeout: 15000 }),
		page.waitForResponse((r) => r.url().endsWith("/api/v1/diagnosis"), { timeout: 15000 }),
	]);
	const status = await seen.json(), diag = await seenDiag.json();
	await page.waitForFunction(() => document.body.dataset.refreshed, null, { timeout: 15000 });
	await checkTiles(page, [status], "refreshed");
	await checkFailures(page, diag, status, "refreshed");
	await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });

	if (process.env.READY_FILE) {
		writeFileSync(process.env.READY_FILE, "ready\n");
		const sel = `.tile[data-probe="${process.env.EXPECT_PROBE}"][data-state="${process.env.EXPECT_STATE}"]`;
		try {
			await page.waitForSelector(sel, { timeout: 30000 });
		} catch {
			fail(`the tile of ${process.env.EXPECT_PROBE} did not turn ${process.env.EXPECT_STATE} without a reload`);
		}
	}

	// A phone: no horizontal scrolling.
	await page.setViewportSize({ width: 390, height: 844 });
	await page.reload({ waitUntil: "load" });
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
	if (overflow > 390) fail(`the page is ${overflow} px wide on a 390 px phone`);
	if (process.env.SCREENSHOT_PHONE)
		await page.screenshot({ path: process.env.SCREENSHOT_PHONE, fullPage: true });

	for (const e of errors) fail(`console: ${e}`);
} finally {
	await browser.close();
}
console.log(`dashboard.mjs: ${failures.length === 0 ? "ok" : failures.length + " failures"}`);
process.exit(failures.length === 0 ? 0 : 1);
