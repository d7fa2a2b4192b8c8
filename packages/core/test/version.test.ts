import { describe, expect, test } from 'vitest';
import { checkVersion, MAX_VERSION_LENGTH } from '../src/release/version.js';

describe('checkVersion', () => {
  test.each([
    ['1.0', false],
    ['2024.10.3', false],
    ['1.0.post1', false],
    ['1!2.0', false],
    ['1.0+local.7', false],
    ['v1.0', false],
    ['1.0a1', true],
    ['1.0b2', true],
    ['1.0rc1', true],
    ['1.0-RC1', true],
    ['1.0.dev0', true],
    ['1.0.post1.dev2', true],
    ['1.0a1.post2', true],
  ])('%s is valid, prerelease: %s', (raw, isPrerelease) => {
    expect(checkVersion(raw)).toEqual({ ok: true, version: raw, isPrerelease });
  });

  test.each([
    ['', 'empty version'],
    ['abc', 'not a valid PEP 440 version'],
    ['1.0 beta', 'not a valid PEP 440 version'],
    ['1.0;rm -rf', 'not a valid PEP 440 version'],
    [' 1.0', 'version has leading or trailing whitespace'],
    ['1.0\n', 'version has leading or trailing whitespace'],
  ])('%j is rejected: %s', (raw, reason) => {
    expect(checkVersion(raw)).toEqual({ ok: false, reason });
  });

  test(`accepts ${MAX_VERSION_LENGTH} characters, not one more`, () => {
    const longest = `1.${'0.'.repeat(48)}00`;
    expect(longest).toHaveLength(MAX_VERSION_LENGTH);
    expect(checkVersion(longest)).toMatchObject({ ok: true });
    expect(checkVersion(`${longest}0`)).toEqual({ ok: false, reason: `version longer than ${MAX_VERSION_LENGTH} characters` });
  });
});
