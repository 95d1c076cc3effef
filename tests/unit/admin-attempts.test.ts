// Whose admin-token tries count together: an IPv4 address, or an IPv6 /64 however it is written.
import { describe, expect, it } from 'vitest';
import { attemptBucket } from '../../worker/access/admin-attempts';

describe('attemptBucket', () => {
  it('keeps IPv4 addresses (and the unknown) as they are', () => {
    expect(attemptBucket('203.0.113.9')).toBe('203.0.113.9');
    expect(attemptBucket('unknown')).toBe('unknown');
  });

  it('puts every address of an IPv6 /64 in one bucket, in every spelling', () => {
    const bucket = '2001:db8:aa:bb::/64';
    for (const ip of [
      '2001:db8:aa:bb::1',
      '2001:0db8:00aa:00bb:1:2:3:4',
      '2001:DB8:AA:BB:ffff::',
      '2001:db8:aa:bb:0:0:0:0',
    ])
      expect(attemptBucket(ip), ip).toBe(bucket);
    expect(attemptBucket('2001:db8:aa:bc::1')).not.toBe(bucket);
    expect(attemptBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(attemptBucket('::1')).toBe('0:0:0:0::/64');
  });
});
