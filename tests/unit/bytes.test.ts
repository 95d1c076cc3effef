// decodeAndHash: a large base64 image decoded and hashed a slice at a time gives exactly what
// decoding and hashing it whole gives; anything that is not plain base64 is left to the whole path.
import { describe, expect, it } from 'vitest';
import { decodeAndHash, fromBase64, sha256Hex, toBase64 } from '../../worker/lib/bytes';

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}

describe('decodeAndHash', () => {
  it.each([3 << 20, (3 << 20) + 1, (3 << 20) + 2, 5_000_001])(
    'matches the whole decode and SHA-256 for %i bytes (every padding)',
    async (n) => {
      const bytes = randomBytes(n);
      const b64 = toBase64(bytes);
      const got = await decodeAndHash(b64);
      expect(got).not.toBeNull();
      // (a plain loop: toEqual walks millions of elements slowly)
      const whole = fromBase64(b64);
      expect(got!.bytes.length).toBe(whole.length);
      expect(got!.bytes.every((b, i) => b === whole[i])).toBe(true);
      expect(got!.sha256).toBe(await sha256Hex(bytes));
    },
  );

  it('leaves small inputs, whitespace, bad characters and misplaced padding to the whole path', async () => {
    const b64 = toBase64(randomBytes(3 << 20));
    expect(await decodeAndHash(toBase64(randomBytes(1000)))).toBeNull();
    expect(await decodeAndHash(`${b64.slice(0, 2_000_000)}\n${b64.slice(2_000_000)}`)).toBeNull();
    expect(await decodeAndHash(`${b64.slice(0, 2_000_000)}*${b64.slice(2_000_001)}`)).toBeNull();
    expect(await decodeAndHash(`${b64.slice(0, 1_500_000)}==${b64.slice(1_500_002)}`)).toBeNull();
  });
});
