import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GOFOOD_NOTIFICATION_SECRET,
  gofoodNotification,
  sendGofood,
  signGofood,
} from '../support/fake-gobiz.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';

/** What a secret looks like when it comes from a file or a copy-paste: surrounded by whitespace. */
const padded = (secret: string) => ` ${secret}\r\n`;

/** A GoFood notification for a new order, its X-Go-Signature computed with `secret`. */
function sendSignedWith(system: TestSystem, secret: string, orderNumber: string): Promise<Response> {
  const notification = gofoodNotification('awaiting_merchant_acceptance', { orderNumber });
  const raw = JSON.stringify(notification);
  return sendGofood(system.baseUrl, notification, { raw, signature: signGofood(raw, secret) });
}

describe('when ADMIN_TOKEN and GOFOOD_NOTIFICATION_SECRET are set with surrounding whitespace', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({
      web: true,
      worker: false,
      env: {
        ADMIN_TOKEN: padded(TEST_ADMIN_TOKEN),
        GOFOOD_NOTIFICATION_SECRET: padded(GOFOOD_NOTIFICATION_SECRET),
      },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('the admin API accepts the trimmed token', async () => {
    const res = await fetch(`${system.baseUrl}/admin/orders`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
  });

  it('the admin API still refuses a wrong token', async () => {
    const res = await fetch(`${system.baseUrl}/admin/orders`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` },
    });
    expect(res.status).toBe(401);
  });

  it('a GoFood notification signed with the trimmed secret is accepted', async () => {
    const res = await sendSignedWith(system, GOFOOD_NOTIFICATION_SECRET, 'F-PADDED-1');
    expect(res.status).toBe(202);
  });

  it('a GoFood notification signed with the padded value is refused', async () => {
    const res = await sendSignedWith(system, padded(GOFOOD_NOTIFICATION_SECRET), 'F-PADDED-2');
    expect(res.status).toBe(401);
  });
});

describe('when ADMIN_TOKEN and GOFOOD_NOTIFICATION_SECRET are only whitespace', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({
      web: true,
      worker: false,
      env: { ADMIN_TOKEN: ' \n', GOFOOD_NOTIFICATION_SECRET: '\t\n' },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('they count as unset: the generated admin token applies, and GoFood notifications are refused', async () => {
    expect(system.config.ADMIN_TOKEN).toBeUndefined();
    const generated = (await readFile(path.join(system.config.DATA_DIR, 'admin-token'), 'utf8')).trim();
    const withGenerated = await fetch(`${system.baseUrl}/admin/orders`, {
      headers: { authorization: `Bearer ${generated}` },
    });
    expect(withGenerated.status).toBe(200);
    const res = await sendSignedWith(system, '\t\n', 'F-BLANK-1');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'GoFood notifications are not configured',
    );
  });
});
