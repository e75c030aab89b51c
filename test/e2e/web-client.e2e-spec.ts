import { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { ChatStack, startChatStack, uniqueName } from '../support/chat-stack';
import { SampleFiles } from '../support/sample-files';
import { waitFor } from '../support/wait-for';

/**
 * The web client (apps/web/public) in a real browser, served by the api, talking to two
 * gateways: two people log in, create and join rooms from the sidebar, chat both ways, react,
 * see each other type, get and clear unread badges, change presence, open a DM, and a page
 * whose socket drops resumes without losing or doubling messages.
 *
 * Uses Debian's chromium (no browser download here). CI installs it; when it is missing the
 * test fails and says so rather than skipping.
 */
const UI_TIMEOUT_MS = 15_000;

describe('web client in a browser', () => {
  let stack: ChatStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  // On a failure, what the pages complained about is usually the explanation.
  afterEach(() => {
    if (pageErrors.length) console.log(`page errors:\n${pageErrors.join('\n')}`);
  });

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startChatStack('web');
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await browser?.close();
    await stack?.teardown();
  });

  interface Person {
    page: Page;
    name: string;
    id: string;
  }

  /**
   * A person in their own browser context (own localStorage), logged in through the login
   * screen. The stack's api cannot know the gateways' ports (they start after it), so
   * /api/config is answered with the real body and the chosen gateway's URL.
   */
  async function person(prefix: string, gateway: number): Promise<Person> {
    // The page's Content-Security-Policy allows the one WebSocket URL the api names (gateway 0),
    // and is enforced for people on it; someone sent to the other gateway needs it off.
    // (Rewriting the header would not do: Chromium then treats the page as public and blocks
    // its socket to 127.0.0.1 by its local network access checks.)
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: gateway !== 0 });
    contexts.push(context);
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    await context.route('**/api/config', async (route) => {
      const response = await route.fetch();
      const config = (await response.json()) as Record<string, unknown>;
      await route.fulfill({ response, json: { ...config, wsUrl: stack.gatewayUrls[gateway] } });
    });
    const page = await context.newPage();
    // Uncaught errors, every error toast (the client logs them) and anything the CSP blocks
    // fail the test at the end.
    page.on('pageerror', (err) => pageErrors.push(`${prefix}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'warning' && msg.text().startsWith('[toast]')) pageErrors.push(`${prefix}: ${msg.text()}`);
      if (msg.type() === 'error' && msg.text().includes('Content Security Policy')) pageErrors.push(`${prefix}: ${msg.text()}`);
    });
    await page.goto(`${stack.apiUrl}/`);
    const name = uniqueName(prefix);
    await login(page, name);
    const id = await myId(page);
    expect(id).not.toBe('');
    return { page, name, id };
  }

  async function login(page: Page, name: string): Promise<void> {
    await page.getByLabel('Username').fill(name);
    await page.getByRole('button', { name: 'Join the chat' }).click();
    await online(page);
    await page.locator('#me-name', { hasText: name }).waitFor();
  }

  /** User ids are not on screen any more (people are found by name); the page's state has it. */
  const myId = (page: Page): Promise<string> => page.evaluate<string>('window.streamchat.state.me.id');
  const online = (page: Page) => page.locator('#conn-status[data-state="online"]').waitFor();
  const roomTitle = (page: Page, room: string) => page.locator('#room-title', { hasText: room }).waitFor();
  /** A delivered (not pending) message with exactly this text in the open room. */
  const message = (page: Page, text: string): Locator =>
    page.locator('#message-list li.msg:not(.pending)').filter({ has: page.locator('.msg-text', { hasText: new RegExp(`^${text}$`) }) });
  const badge = (page: Page, room: string) => page.locator('#my-rooms li', { hasText: room }).locator('.badge');

  async function send(page: Page, text: string): Promise<void> {
    await page.locator('#composer-input').fill(text);
    await page.locator('#composer-input').press('Enter');
  }

  async function createRoom(page: Page, room: string): Promise<void> {
    await page.getByRole('button', { name: '+ New room' }).click();
    await page.getByLabel('Name', { exact: true }).fill(room);
    await page.getByRole('button', { name: 'Create' }).click();
    await roomTitle(page, room);
  }

  async function count(locator: Locator, n: number, what: string): Promise<void> {
    await waitFor(async () => (await locator.count()) === n, { what, timeoutMs: UI_TIMEOUT_MS });
  }

  it('lets two people chat, react, type, read, and resume after a dropped socket', async () => {
    const alice = await person('alice', 0);
    const bob = await person('bob', 1);
    const general = uniqueName('general');
    const random = uniqueName('random');

    // Alice creates two rooms; bob finds them in the sidebar and joins both.
    await createRoom(alice.page, random);
    await send(alice.page, 'first in random');
    await message(alice.page, 'first in random').waitFor();
    await createRoom(alice.page, general);
    await bob.page.getByRole('button', { name: 'refresh rooms' }).click();
    await bob.page.getByRole('button', { name: `join ${random}` }).click();
    await roomTitle(bob.page, random);
    await message(bob.page, 'first in random').waitFor();
    await bob.page.getByRole('button', { name: `join ${general}` }).click();
    await roomTitle(bob.page, general);
    await alice.page.locator('#member-list li', { hasText: bob.name }).waitFor();

    // What bob saw on joining counts as read on the server: after a reload (room list from
    // the server, last room reopened) random has no badge.
    await bob.page.reload();
    await online(bob.page);
    await roomTitle(bob.page, general);
    await bob.page.locator('#my-rooms li', { hasText: random }).waitFor();
    expect(await badge(bob.page, random).count()).toBe(0);

    // Messages both ways, across the two gateways.
    await send(alice.page, 'hello bob');
    await message(bob.page, 'hello bob').waitFor();
    await send(bob.page, 'hi alice');
    await message(alice.page, 'hi alice').waitFor();

    // Bob reacts to alice's message; alice sees the count.
    const hello = message(bob.page, 'hello bob');
    await hello.hover();
    await hello.getByRole('button', { name: 'react 👍' }).click();
    await message(alice.page, 'hello bob').getByRole('button', { name: '👍 1' }).waitFor();

    // Bob types; alice is told.
    await bob.page.locator('#composer-input').pressSequentially('thinking', { delay: 20 });
    await alice.page.locator('#typing', { hasText: `${bob.name} is typing…` }).waitFor();
    await bob.page.locator('#composer-input').fill('');

    // Presence: bob goes away; alice's member list shows it.
    await bob.page.getByLabel('your status').selectOption('away');
    await alice.page.locator('#member-list li', { hasText: bob.name }).locator('.dot.away').waitFor();

    // Unread: alice writes in the room bob is not looking at; bob's badge shows, then clears.
    await alice.page.locator('#my-rooms').getByRole('button', { name: random }).click();
    await roomTitle(alice.page, random);
    await send(alice.page, 'over in random');
    await message(alice.page, 'over in random').waitFor();
    await badge(bob.page, random).filter({ hasText: /^1$/ }).waitFor();
    await bob.page.locator('#my-rooms').getByRole('button', { name: random }).click();
    await message(bob.page, 'over in random').waitFor();
    await badge(bob.page, random).waitFor({ state: 'detached' });
    // Back in general, random stays read: the marker moved on the server, not just on screen.
    await bob.page.locator('#my-rooms').getByRole('button', { name: general }).click();
    await message(bob.page, 'hi alice').waitFor();
    await bob.page.reload();
    await online(bob.page);
    await roomTitle(bob.page, general);
    await bob.page.locator('#my-rooms li', { hasText: random }).waitFor();
    expect(await badge(bob.page, random).count()).toBe(0);

    // Alice's socket drops. Meanwhile bob writes, and alice writes too (her send waits).
    await alice.page.locator('#my-rooms').getByRole('button', { name: general }).click();
    await message(alice.page, 'hi alice').waitFor();
    await alice.page.evaluate('window.streamchat.goOffline()');
    await alice.page.locator('#conn-status[data-state="offline"]').waitFor();
    await send(bob.page, 'while you were away');
    await message(bob.page, 'while you were away').waitFor();
    await send(alice.page, 'sent while offline');
    await alice.page.locator('#message-list li.msg.pending', { hasText: 'sent while offline' }).waitFor();
    expect(await message(alice.page, 'while you were away').count()).toBe(0);

    // Back online: resume brings bob's message once, and alice's queued send goes out once.
    await alice.page.evaluate('window.streamchat.goOnline()');
    await online(alice.page);
    await message(alice.page, 'while you were away').waitFor();
    await message(alice.page, 'sent while offline').waitFor();
    await message(bob.page, 'sent while offline').waitFor();
    await count(alice.page.locator('#message-list li.msg.pending'), 0, 'alice to have nothing pending');
    for (const text of ['hello bob', 'hi alice', 'while you were away', 'sent while offline']) {
      expect(await message(alice.page, text).count()).toBe(1);
      expect(await message(bob.page, text).count()).toBe(1);
    }
    const seqs = await alice.page.locator('#message-list li.msg').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
    expect(seqs).toEqual([1, 2, 3, 4]);

    // A reload keeps alice logged in and shows the room's history once.
    await alice.page.reload();
    await online(alice.page);
    await alice.page.locator('#my-rooms').getByRole('button', { name: general }).click();
    await message(alice.page, 'sent while offline').waitFor();
    expect(await message(alice.page, 'while you were away').count()).toBe(1);

    // A DM from the member list reaches bob's sidebar.
    await alice.page.getByRole('button', { name: `DM ${bob.name}` }).click();
    await roomTitle(alice.page, bob.name);
    await send(alice.page, 'just us');
    await bob.page.locator('#dm-rooms li', { hasText: alice.name }).locator('.badge', { hasText: '1' }).waitFor();

    expect(pageErrors).toEqual([]);
  });

  it('sends files: an image shows to the other member, another file downloads, a deleted message drops them', async () => {
    const alice = await person('fila', 0);
    const bob = await person('filb', 0);
    const room = uniqueName('files');
    await createRoom(alice.page, room);
    await bob.page.getByRole('button', { name: 'refresh rooms' }).click();
    await bob.page.getByRole('button', { name: `join ${room}` }).click();
    await roomTitle(bob.page, room);

    await alice.page.locator('#composer-file-input').setInputFiles([
      { name: 'dot.png', mimeType: 'image/png', buffer: SampleFiles.decodablePng(40, 30) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('plain notes') },
    ]);
    await count(alice.page.locator('#composer-files li.ready'), 2, 'both files uploaded');
    await send(alice.page, 'the plan');

    const seen = message(bob.page, 'the plan');
    const image = seen.locator('img[alt="dot.png"]');
    await image.waitFor();
    // Drawn, at its own size: the signed link served the real bytes.
    await waitFor(async () => (await image.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth)) === 40, { what: 'the image to load' });
    const file = seen.getByRole('button', { name: '📎 notes.txt (11 B)' });
    const download = bob.page.waitForEvent('download');
    await file.click();
    expect(await (await download).suggestedFilename()).toBe('notes.txt');
    expect(await alice.page.locator('#composer-files li').count()).toBe(0);

    // Files alone go under their names.
    await alice.page.locator('#composer-file-input').setInputFiles([{ name: 'solo.txt', mimeType: 'text/plain', buffer: Buffer.from('solo') }]);
    await count(alice.page.locator('#composer-files li.ready'), 1, 'the file uploaded');
    await alice.page.locator('#composer-input').press('Enter');
    await message(bob.page, 'solo.txt').getByRole('button', { name: '📎 solo.txt (4 B)' }).waitFor();

    const mine = message(alice.page, 'the plan');
    await mine.hover();
    alice.page.once('dialog', (dialog) => void dialog.accept());
    await mine.getByRole('button', { name: 'Delete' }).click();
    await bob.page.locator('#message-list li.msg.deleted').first().waitFor();
    expect(await bob.page.locator('#message-list li.msg.deleted .attachment').count()).toBe(0);
    expect(await bob.page.locator('img[alt="dot.png"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('gives a returning guest its name back in the same browser, and nobody else', async () => {
    const carol = await person('carol', 0);
    // The session is gone (expired, or logged out) but the browser remembers the guest.
    await carol.page.evaluate("localStorage.removeItem('streamchat.token')");
    await carol.page.reload();
    await login(carol.page, carol.name.toUpperCase());
    expect(await myId(carol.page)).toBe(carol.id);

    // Anyone else asking for the name is refused.
    const elsewhere = await fetch(`${stack.apiUrl}/api/auth/guest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: carol.name }),
    });
    expect(elsewhere.status).toBe(409);
    expect(pageErrors).toEqual([]);
  });
});
