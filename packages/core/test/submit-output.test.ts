import { describe, expect, test } from 'vitest';
import { isAcceptedJobId, MAX_KEPT_OUTPUT_CHARS, parseSubmitOutput, REDACTED, redactSubmitOutput } from '../src/submit/submit-output.js';

const UUID = '0f8e2b7c-1a2b-4c3d-9e8f-001122334455';

describe('parseSubmitOutput', () => {
  test('reads a successful submit', () => {
    const text = [
      `submit_id=${UUID}`,
      'submit /jobs/update-pypi.abc.yaml, got job id=crystal.1234567',
      'result_root /srv/result/rpmbuild-python-update/2026-11-25/vm-2p8g/requests/1234567',
      '',
    ].join('\n');
    expect(parseSubmitOutput(text)).toEqual({
      submitId: UUID,
      jobId: 'crystal.1234567',
      resultRoot: '/srv/result/rpmbuild-python-update/2026-11-25/vm-2p8g/requests/1234567',
      accountRefused: false,
    });
  });

  test('reads the older output without result_root, with CRLF line ends', () => {
    const parsed = parseSubmitOutput(`submit_id=${UUID}\r\nsubmit job.yaml, got job id=z9.27563246\r\n`);
    expect(parsed).toEqual({ submitId: UUID, jobId: 'z9.27563246', accountRefused: false });
    expect(isAcceptedJobId(parsed.jobId)).toBe(true);
  });

  test('reads a refusal with the farm message', () => {
    const parsed = parseSubmitOutput(
      `submit_id=${UUID}\nsubmit /c/lkp-tests/jobs/host-info.yaml failed, got job id=0, error: Missing required job key: 'my_token'.\n` +
        'Please refer to https://gitee.com/wu_fengguang/compass-ci/blob/master/doc/account/apply-account.md\n',
    );
    expect(parsed).toEqual({ submitId: UUID, jobId: '0', error: "Missing required job key: 'my_token'.", accountRefused: false });
    expect(isAcceptedJobId(parsed.jobId)).toBe(false);
  });

  test('flags the account refusal', () => {
    const parsed = parseSubmitOutput(
      'submit a.yaml failed, got job id=0, error: Failed to verify the account.\nPlease refer to https://x\nmy_token: abc\n',
    );
    expect(parsed.accountRefused).toBe(true);
    expect(parsed.error).toBe('Failed to verify the account.');
    expect(parsed.jobId).toBe('0');
  });

  test('a job id of 0 on a plain "got job id" line is no success', () => {
    expect(isAcceptedJobId(parseSubmitOutput('submit a.yaml, got job id=0\n').jobId)).toBe(false);
  });

  test('finds nothing in junk', () => {
    expect(parseSubmitOutput('Traceback\nsubmitted a.yaml, job id 5\nsubmit_id =x\n')).toEqual({ accountRefused: false });
    expect(isAcceptedJobId(undefined)).toBe(false);
    expect(isAcceptedJobId('')).toBe(false);
  });
});

describe('redactSubmitOutput', () => {
  const TOKEN = 'a3f9c2e1d4b5a6978877665544332211';

  test.each([
    ['YAML-ish', `my_token: ${TOKEN}`, `my_token: ${REDACTED}`],
    ['key=value', `my_token=${TOKEN}`, `my_token=${REDACTED}`],
    ['double-quoted', `my_token: "${TOKEN}"`, `my_token: "${REDACTED}"`],
    ['single-quoted', `my_token: '${TOKEN}'`, `my_token: '${REDACTED}'`],
    ['JSON', `{"my_name":"x","my_token":"${TOKEN}"}`, `{"my_name":"${REDACTED}","my_token":"${REDACTED}"}`],
    ['a Ruby hash', `{"my_token"=>"${TOKEN}", "my_name"=>"x"}`, `{"my_token"=>"${REDACTED}", "my_name"=>"${REDACTED}"}`],
  ])('redacts the account token printed %s', (_label, line, expected) => {
    const out = redactSubmitOutput(`submit a.yaml failed, got job id=0, error: Failed to verify the account.\n${line}\n`, []);
    expect(out).not.toContain(TOKEN);
    expect(out).toContain(expected);
  });

  test('redacts later repeats of the token value, and the other account values printed with it', () => {
    const text = [
      'submit a.yaml failed, got job id=0, error: Failed to verify the account.',
      'my_name: Jane Doe',
      'my_email: jane@example.org',
      'my_account: jane',
      `my_token: ${TOKEN}`,
      `debug: sent ${TOKEN} to the scheduler; again ${TOKEN} for jane@example.org`,
    ].join('\n');
    const out = redactSubmitOutput(text, []);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain('jane@example.org');
    expect(out).toContain(`my_email: ${REDACTED}`);
    expect(out).toContain(`my_name: ${REDACTED}\n`);
    expect(out).toContain(`debug: sent ${REDACTED} to the scheduler; again ${REDACTED} for ${REDACTED}`);
  });

  test('redacts the job keys that carry the AI secrets, however printed', () => {
    const text =
      '{"api_key"=>"sk-x1", "base_url"=>"https://u:p@ai.example.org/v1", "ai_model"=>"m1", "os"=>"openeuler"}\nbase_url: ' +
      'https://u:p@h/v1\n';
    const out = redactSubmitOutput(text, []);
    expect(out).toBe(
      `{"api_key"=>"${REDACTED}", "base_url"=>"${REDACTED}", "ai_model"=>"${REDACTED}", "os"=>"openeuler"}\nbase_url: ${REDACTED}\n`,
    );
  });

  test('a 1-character secret is redacted where a key names it, and left alone in free text', () => {
    const text = 'submit_id=10\nsubmit a.yaml failed, got job id=0, error: Failed to verify the account.\nmy_token: 0\n"my_token"=>"0"\n';
    expect(redactSubmitOutput(text, ['0'])).toBe(
      `submit_id=10\nsubmit a.yaml failed, got job id=0, error: Failed to verify the account.\nmy_token: ` +
        `${REDACTED}\n"my_token"=>"${REDACTED}"\n`,
    );
  });

  test(`a secret that is part of "${REDACTED}" does not eat into an earlier replacement`, () => {
    expect(redactSubmitOutput(`my_token: "${TOKEN}" ACTED\n`, ['ACTED'])).toBe(`my_token: "${REDACTED}" ${REDACTED}\n`);
  });

  test('a secret with quotes or backslashes is found as JSON escapes it too', () => {
    const secret = 'pa"ss\\word-1';
    expect(redactSubmitOutput(`raw ${secret} json ${JSON.stringify({ k: secret })}\n`, [secret])).toBe(
      `raw ${REDACTED} json {"k":"${REDACTED}"}\n`,
    );
  });

  test('redacts every extra secret, ignoring empty ones', () => {
    const out = redactSubmitOutput('api_key sk-live-123456 base https://ai.internal/v1 ok\n', [
      'sk-live-123456',
      '',
      'https://ai.internal/v1',
    ]);
    expect(out).toBe(`api_key ${REDACTED} base ${REDACTED} ok\n`);
  });

  test('replaces a secret containing another one whole', () => {
    expect(redactSubmitOutput('key=abcdef-long\n', ['abcdef', 'abcdef-long'])).toBe(`key=${REDACTED}\n`);
  });

  test('leaves text without secrets unchanged', () => {
    const text = `submit_id=${UUID}\nsubmit a.yaml, got job id=crystal.1\n`;
    expect(redactSubmitOutput(text, ['not-in-there'])).toBe(text);
  });

  test('keeps only the tail of a flood, starting at a line', () => {
    const line = `${'x'.repeat(99)}\n`;
    const text = `${line.repeat(5_000)}submit a.yaml, got job id=crystal.9\n`;
    const out = redactSubmitOutput(text, []);
    expect(out.length).toBeLessThanOrEqual(MAX_KEPT_OUTPUT_CHARS + 100);
    expect(out).toMatch(/^\[\.\.\. \d+ characters of submit output dropped \.\.\.\]\nx{99}\n/);
    expect(out.endsWith('got job id=crystal.9\n')).toBe(true);
  });
});
