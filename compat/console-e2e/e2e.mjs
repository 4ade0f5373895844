// Drives the Sluice console in headless Chromium, one scenario a run:
//   node e2e.mjs <base-url> <scenario> <json-arguments>
// ConsoleBrowserIT scripts the fake upstream before each run and checks what the gateway and the fake saw after it.
// Prints "RESULT <json>" and exits 0 when every expectation holds; otherwise prints why and exits 1.
import { chromium } from 'playwright-core';

const [base, scenario, rawArgs = '{}'] = process.argv.slice(2);
const args = JSON.parse(rawArgs);
const TIMEOUT = 15_000;

function expect(condition, message) {
  if (!condition) throw new Error(`expected ${message}`);
}

async function signUp(page) {
  await page.goto(base);
  await page.getByLabel('Email').fill(args.email);
  await page.getByLabel('Password').fill(args.password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function logIn(page) {
  await page.goto(base);
  await page.getByLabel('Email').fill(args.email);
  await page.getByLabel('Password').fill(args.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Types a message and sends it with Enter, as a user would. */
async function send(page, text) {
  const field = page.getByLabel('Message');
  await field.fill(text);
  await field.press('Enter');
}

const messages = (page) => page.locator('#messages');
const replies = (page) => page.getByRole('article');
const lastReply = (page) => replies(page).last();

async function finished(page) {
  const reply = lastReply(page);
  await reply.and(page.locator('[aria-busy="false"]')).waitFor();
  return reply;
}

const scenarios = {
  /** register → log out → log in → stream → Stop → reload → sidebar → continue → feedback → delete. */
  async journey(page) {
    await signUp(page);
    await page.getByRole('button', { name: 'Log out' }).click();
    await logIn(page);
    await page.getByRole('combobox', { name: 'Model' }).selectOption(args.model);

    await send(page, 'Count slowly');
    const streaming = lastReply(page).and(page.locator('[aria-busy="true"]'));
    await streaming.waitFor();
    await page.waitForFunction(() => document.querySelector('article')?.textContent.includes('tok3 '));
    const early = (await streaming.textContent()).length;
    await page.waitForFunction((length) => document.querySelector('article').textContent.length > length + 10, early);
    expect(await streaming.count() === 1, 'the reply to be still streaming while tokens arrive');
    await page.getByRole('button', { name: 'Stop' }).click();
    const stopped = await finished(page);
    expect((await stopped.textContent()).includes('Stopped.'), 'a stopped reply to say so');
    await page.getByRole('button', { name: 'Send' }).waitFor();

    // The history is written off the request path: reload until the conversation is listed.
    const sidebar = page.getByRole('complementary', { name: 'Conversations' });
    for (let attempt = 0; attempt < 20 && await sidebar.getByRole('link').count() === 0; attempt++) {
      await page.reload();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      await page.waitForTimeout(attempt === 0 ? 0 : 250);
    }
    const conversations = sidebar.getByRole('link');
    expect(await conversations.count() === 1, 'the stopped conversation in the sidebar after a reload');
    await conversations.first().click();
    await messages(page).getByText('Count slowly').waitFor();

    await send(page, 'And now?');
    const second = await finished(page);
    await second.getByText('Second answer').waitFor();
    expect(await second.getByRole('alert').count() === 0, 'a complete reply without an error');

    await second.getByRole('button', { name: 'Good reply' }).click();
    await second.getByRole('button', { name: 'Good reply', pressed: true }).waitFor();

    if (args.screenshots) {
      await page.screenshot({ path: `${args.screenshots}/console-chat.png` });
      await page.getByRole('link', { name: 'Status' }).click();
      await page.getByRole('cell', { name: args.model }).first().waitFor();
      await page.screenshot({ path: `${args.screenshots}/console-status.png` });
      await page.getByRole('link', { name: 'Chat' }).click();
      await conversations.first().click();
      await messages(page).getByText('Count slowly').waitFor();
    }

    await page.getByRole('button', { name: 'Delete conversation' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#conversations a').length === 0);
    await page.reload();
    await page.getByRole('button', { name: 'New chat' }).waitFor();
    expect(await sidebar.getByRole('link').count() === 0, 'no conversation after deleting it, even after a reload');
    return {};
  },

  /** A long conversation opens at its end; scrolling up loads the older pages, in order, each message once. */
  async older(page) {
    const questions = () => messages(page).locator('.message.user').allTextContents();
    const open = async () => {
      await page.getByRole('link', { name: 'Question 1', exact: true }).click();
      await messages(page).getByText(`Question ${args.turns}`, { exact: true }).waitFor();
    };
    await logIn(page);
    await open();
    const pane = messages(page);
    expect(await pane.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight < 2),
      'the conversation scrolled to its newest message');
    const firstShown = await pane.locator('.message').count();
    expect(!(await questions()).includes('Question 1'), 'the oldest message not loaded before scrolling up');
    for (let scrolls = 0; scrolls < 20 && !(await questions()).includes('Question 1'); scrolls++) {
      const shown = await pane.locator('.message').count();
      await pane.evaluate((element) => { element.scrollTop = 0; });
      await page.waitForFunction((count) => document.querySelectorAll('#messages .message').length > count, shown);
    }
    const all = await questions();
    const expected = Array.from({ length: args.turns }, (_, i) => `Question ${i + 1}`);
    expect(JSON.stringify(all) === JSON.stringify(expected), `every question once, oldest first, got: ${all}`);

    await page.setViewportSize({ width: 1100, height: 3000 });
    await page.getByRole('button', { name: 'New chat' }).click();
    await open();
    // Loaded until it can scroll, or all of it when even that does not fill the pane.
    await page.waitForFunction((all) => {
      const pane = document.getElementById('messages');
      return pane.scrollHeight > pane.clientHeight || pane.querySelectorAll('.message').length === all;
    }, 2 * args.turns);
    const tallFirstShown = await pane.locator('.message').count();
    return { firstShown, tallFirstShown };
  },

  /** Swagger UI at /docs shows both APIs' operations under its own Content-Security-Policy. */
  async docs(page) {
    await page.goto(new URL('docs', base).href);
    await page.getByText('/v1/chat/completions', { exact: true }).first().waitFor();
    await page.getByText('/api/v1/chat', { exact: true }).first().waitFor();
    return { operations: await page.locator('.opblock').count() };
  },

  /** Model output with HTML in it shows as text, and no script of it runs. */
  async markup(page) {
    let dialogs = 0;
    page.on('dialog', (dialog) => { dialogs++; dialog.dismiss(); });
    await signUp(page);
    await page.getByRole('combobox', { name: 'Model' }).selectOption(args.model);
    await send(page, 'Say something nasty');
    const reply = await finished(page);
    const text = await reply.textContent();
    expect(text.includes('<img src=x onerror=alert(1)>'), `the markup shown as text, got: ${text}`);
    expect(await reply.locator('img').count() === 0, 'no img element made from model output');
    expect(await reply.locator('strong').count() === 1, 'Markdown bold still rendered');
    expect(await reply.locator('pre code').count() === 1, 'a fenced code block rendered as code');
    await page.waitForTimeout(200);
    expect(dialogs === 0, 'no alert from model output');
    return {};
  },

  /** A stream that breaks mid-way ends as an error, never as a finished reply. */
  async failure(page) {
    await signUp(page);
    await page.getByRole('combobox', { name: 'Model' }).selectOption(args.model);
    await send(page, 'Break please');
    const reply = await finished(page);
    await reply.getByRole('alert').waitFor();
    const alert = await reply.getByRole('alert').textContent();
    expect(alert.startsWith('The reply failed'), `an error shown on the reply, got: ${alert}`);
    expect(await reply.getByRole('button', { name: 'Good reply' }).count() === 0, 'no feedback on a failed reply');
    return { alert };
  },

  /** At the daily limit, the refusal says when the quota resets. */
  async quota(page) {
    await logIn(page);
    await page.getByRole('combobox', { name: 'Model' }).selectOption(args.model);
    await send(page, 'The one request of the day');
    await finished(page);
    await page.getByText('1/1 requests').waitFor();
    await send(page, 'One too many');
    const refused = await finished(page);
    const message = await refused.getByRole('alert').textContent();
    expect(message.includes('resets at'), `the reset time in the refusal, got: ${message}`);
    return { message };
  },

  /** An admin finds a user in today's usage (paging on), sets their daily quota and clears the cache. */
  async admin(page) {
    await logIn(page);
    await page.getByRole('link', { name: 'Admin' }).click();
    // The spend table below lists the same users; only today's usage has the quota form.
    const usage = page.getByRole('table', { name: 'Usage today' });
    const row = usage.getByRole('row', { name: new RegExp(args.user.replace(/[.+]/g, '\\$&')) });
    await usage.getByRole('row').nth(1).waitFor();
    const shown = page.locator('#usage-list tr');
    for (let pages = 0; pages < 50 && await row.count() === 0; pages++) {
      const before = await shown.count();
      await page.getByRole('button', { name: 'More' }).click();
      await page.waitForFunction((count) => document.querySelectorAll('#usage-list tr').length > count, before);
    }
    await row.getByLabel('Daily requests').fill('7');
    await row.getByLabel('Daily tokens').fill('7000');
    await row.getByRole('button', { name: 'Save quota' }).click();
    await row.getByRole('button', { name: 'Saved' }).waitFor();
    await page.getByRole('button', { name: 'Clear cache' }).click();
    await page.getByText(/^Cleared \d+ entries\.$/).waitFor();
    return {};
  },

  /** The caller's usage by day (a bar a day) and by model, unpriced calls said so, and the report as CSV. */
  async usage(page) {
    await logIn(page);
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('row', { name: /^\d{4}-\d\d-\d\d 2 .*\$0\.0000 \+ 1 unpriced$/ }).waitFor();
    expect(await page.locator('#usage-chart .bar').count() === 1, 'one bar for the one day');
    expect(await page.locator('#usage-chart').isVisible(), 'the chart of the priced day');
    await page.getByRole('combobox', { name: 'By' }).selectOption('model');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('row', { name: /^fake 1 .* unpriced$/ }).waitFor();
    await page.getByRole('row', { name: /^demo 1 .* \$0\.0000$/ }).waitFor();
    const [saved] = await Promise.all([page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click()]);
    const chunks = [];
    for await (const chunk of await saved.createReadStream()) chunks.push(chunk);
    return { csv: Buffer.concat(chunks).toString('utf8'), filename: saved.suggestedFilename() };
  },

  /** A key created in the page, shown once; a spare one revoked. */
  async keys(page) {
    await logIn(page);
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByLabel('Key name').fill('spare');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.locator('#new-key-value').and(page.getByText(/^sk-/)).waitFor();
    await page.getByRole('row', { name: /spare/ }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('row', { name: /spare/ }).waitFor({ state: 'detached' });

    await page.getByLabel('Key name').fill('from the console');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.locator('#new-key-value');
    await shown.and(page.getByText(/^sk-/)).waitFor();
    const key = await shown.textContent();
    await page.getByRole('row', { name: /from the console .*\$0\.0000/ }).getByRole('button', { name: 'Revoke' }).waitFor();
    expect(await page.getByRole('button', { name: 'Revoke' }).count() === 1, 'only the kept key listed');
    return { key };
  },
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  // Root in a container has no user namespace for Chromium's sandbox.
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
let failed = false;
let current = null;
const traffic = []; // printed when a scenario fails
const cspViolations = [];
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('response', async (response) => {
    const line = `${response.request().method()} ${response.url()} ${response.status()}`;
    traffic.push(response.status() >= 400 ? `${line} ${await response.text().catch(() => '')}` : line);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') console.log(`browser console: ${message.text()}`);
    if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  current = page;
  const result = await scenarios[scenario](page);
  expect(cspViolations.length === 0, `no Content-Security-Policy violation, got: ${cspViolations}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} catch (error) {
  failed = true;
  console.log(`FAILED ${scenario}: ${error.stack ?? error}`);
  console.log(`requests:\n${traffic.join('\n')}`);
  if (current) console.log(`the page showed:\n${await current.locator('body').innerText().catch(() => '?')}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
