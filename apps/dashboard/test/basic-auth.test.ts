// The basic-auth header parser and the constant-time comparison.

import { describe, expect, test } from 'vitest';
import { parseBasicAuthorization, safeEqual } from '../src/index.js';
import { basicAuthHeader } from './support/dashboard-harness.js';

describe('basic auth', () => {
  test('parses user and password, splitting at the first colon only', () => {
    expect(parseBasicAuthorization(basicAuthHeader('admin', 'a:b:c'))).toEqual({ user: 'admin', password: 'a:b:c' });
    expect(parseBasicAuthorization(basicAuthHeader('ünïcode', 'pässwörd'))).toEqual({ user: 'ünïcode', password: 'pässwörd' });
    expect(parseBasicAuthorization(`basic ${Buffer.from('u:').toString('base64')}`)).toEqual({ user: 'u', password: '' });
  });

  test.each([undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`])(
    'rejects %j',
    (header) => {
      expect(parseBasicAuthorization(header)).toBeUndefined();
    },
  );

  test('safeEqual compares whole strings of any length', () => {
    expect(safeEqual('secret', 'secret')).toBe(true);
    expect(safeEqual('secret', 'secreT')).toBe(false);
    expect(safeEqual('secret', 'secret-and-more')).toBe(false);
    expect(safeEqual('', 'secret')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
