import { describe, expect, test } from 'vitest';
import { terminalJson, terminalStreamText, terminalText } from '../src/text/terminal-text.js';

const HOSTILE = 'a\u001b]0;t\u0007\u001b[2J\u009b2J\u009d0;t\u009c\u007f\u202e\u2066\u200b\u2028\ufeff\r\n\tz';
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

describe('terminalText', () => {
  test('shows C0, DEL, C1, bidi, zero-width and separator characters as escapes', () => {
    expect(terminalText(HOSTILE)).toBe(
      'a\\x1b]0;t\\x07\\x1b[2J\\x9b2J\\x9d0;t\\x9c\\x7f\\u202e\\u2066\\u200b\\u2028\\ufeff\\x0d\\x0a\\x09z',
    );
    expect(terminalText(HOSTILE)).not.toMatch(RAW);
  });

  test('multiline keeps line feeds and tabs, and nothing else', () => {
    expect(terminalText('one\n\ttwo\r\u001b[2K', { multiline: true })).toBe('one\n\ttwo\\x0d\\x1b[2K');
  });

  test('leaves ordinary text alone, non-ASCII letters included', () => {
    const text = 'numpy 2.0.0rc1 — résumé 日本 😀 \\x1b (already shown)';
    expect(terminalText(text)).toBe(text);
  });
});

describe('terminalJson', () => {
  test('writes what JSON.stringify leaves raw as \\u escapes: same strings back, no raw control', () => {
    const value = { version: HOSTILE, list: [HOSTILE] };
    const json = terminalJson(value, 2);
    expect(json).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u2028\ufeff\u001b]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('terminalStreamText', () => {
  test('keeps JSON valid and equal, and escapes raw controls in plain text', () => {
    const json = `${JSON.stringify({ v: HOSTILE }, null, 2)}\n`;
    const out = terminalStreamText(json);
    expect(out.replace(/[\n\t]/g, '')).not.toMatch(RAW);
    expect(JSON.parse(out)).toEqual({ v: HOSTILE });
    expect(terminalStreamText('plain \u001b[2J\u009b\n')).toBe('plain \\x1b[2J\\u009b\n');
  });
});
