// Origin allowlist patterns: what is accepted and stored, what matches, and the preflight index candidates.
import { describe, expect, it } from 'vitest';
import { normaliseOrigin, originCandidates, originMatches, parseOriginPattern } from '../../worker/access/origins';

describe('parseOriginPattern', () => {
  it.each([
    ['https://shop.example.com', 'https://shop.example.com'],
    ['HTTPS://Shop.Example.COM/', 'https://shop.example.com'],
    ['https://shop.example.com:443', 'https://shop.example.com'],
    ['http://localhost:5173', 'http://localhost:5173'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['*.example.com', '*.example.com'],
    ['https://*.Example.com', 'https://*.example.com'],
    ['https://*.example.com:443', 'https://*.example.com'],
    ['http://*.example.com:8080', 'http://*.example.com:8080'],
  ])('accepts %s as %s', (input, stored) => expect(parseOriginPattern(input)).toBe(stored));

  it.each([
    '',
    '*',
    '*.com',
    'https://*.com',
    'example.com',
    'https://example.com/path',
    'https://example.com?x=1',
    'https://user:pw@example.com',
    'ftp://example.com',
    'javascript:alert(1)',
    'null',
    'https://a.*.example.com',
    '*example.com',
    'https://*.example.com/x',
    '*.-bad.example.com',
  ])('refuses %j', (input) => expect(parseOriginPattern(input)).toBeNull());
});

describe('originMatches', () => {
  it('matches exact origins only', () => {
    expect(originMatches('https://shop.example.com', 'https://shop.example.com')).toBe(true);
    expect(originMatches('http://shop.example.com', 'https://shop.example.com')).toBe(false);
    expect(originMatches('https://shop.example.com:8443', 'https://shop.example.com')).toBe(false);
    expect(originMatches('https://shop.example.com.evil.test', 'https://shop.example.com')).toBe(false);
  });

  it('matches wildcards on subdomains of any depth, never the apex or look-alikes', () => {
    expect(originMatches('https://a.example.com', '*.example.com')).toBe(true);
    expect(originMatches('http://a.b.example.com', '*.example.com')).toBe(true);
    expect(originMatches('https://example.com', '*.example.com')).toBe(false);
    expect(originMatches('https://evilexample.com', '*.example.com')).toBe(false);
    expect(originMatches('https://a.example.com.evil.test', '*.example.com')).toBe(false);
    expect(originMatches('http://a.example.com', 'https://*.example.com')).toBe(false);
    expect(originMatches('https://a.example.com:8443', '*.example.com')).toBe(false);
    expect(originMatches('https://a.example.com:8443', '*.example.com:8443')).toBe(true);
  });

  it('never matches a null, opaque or malformed origin', () => {
    for (const o of ['null', '', 'file://', 'not a url', 'https://*.example.com'])
      expect(originMatches(o, '*.example.com')).toBe(false);
    expect(normaliseOrigin('null')).toBeNull();
  });
});

describe('originCandidates', () => {
  it('lists the origin and every wildcard above it, in stored form', () => {
    expect(originCandidates('https://a.b.example.com')).toEqual([
      'https://a.b.example.com',
      '*.b.example.com',
      'https://*.b.example.com',
      '*.example.com',
      'https://*.example.com',
    ]);
    expect(originCandidates('http://localhost:5173')).toEqual(['http://localhost:5173']);
    for (const c of originCandidates('https://x.y.example.org:8443')) expect(parseOriginPattern(c)).toBe(c);
  });
});
