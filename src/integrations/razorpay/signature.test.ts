import { describe, expect, it } from 'vitest';
import { verifyRazorpaySignature } from './route.js';

// Razorpay's own published vector: razorpay-node's test suite (test/utils/razorpay-utils.spec.js,
// validateWebhookSignature). Checked independently: printf '%s' BODY | openssl dgst -sha256 -hmac 123456.
const published = {
  body: '{"a":1,"b":2,"c":{"d":3}}',
  secret: '123456',
  signature: '2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc',
};

describe('X-Razorpay-Signature against Razorpay’s published test vector', () => {
  it('accepts the published signature of the published body', () => {
    expect(verifyRazorpaySignature(published.secret, published.body, published.signature)).toBe(true);
    expect(
      verifyRazorpaySignature(
        published.secret,
        Buffer.from(published.body),
        published.signature.toUpperCase(),
      ),
    ).toBe(true);
  });

  it('refuses the published wrong signature', () => {
    expect(verifyRazorpaySignature(published.secret, published.body, 'sdfafds')).toBe(false);
  });

  describe('when one byte of the body, the secret or the signature differs', () => {
    it('refuses', () => {
      expect(
        verifyRazorpaySignature(published.secret, '{"a":1,"b":2,"c":{"d":4}}', published.signature),
      ).toBe(false);
      expect(verifyRazorpaySignature('123457', published.body, published.signature)).toBe(false);
      expect(
        verifyRazorpaySignature(published.secret, published.body, `${published.signature.slice(0, 63)}d`),
      ).toBe(false);
    });
  });

  describe('when the signature is not 64 hex characters', () => {
    it.each([
      ['too short', published.signature.slice(0, 62)],
      ['too long', `${published.signature}00`],
      ['not hex', `${published.signature.slice(0, 63)}g`],
      ['empty', ''],
    ])('refuses one %s', (_name, signature) => {
      expect(verifyRazorpaySignature(published.secret, published.body, signature)).toBe(false);
    });
  });
});
