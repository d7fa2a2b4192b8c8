// The `slack` format is also what Slack-compatible servers (Mattermost, Rocket.Chat) read, and they
// read `text` alone: there a plain `@channel`, `@all` or `@here` notifies everyone, and Markdown's
// `[words](url)` hides a link behind words. Text from outside (a farm's refusal, a poll's error, a
// result path) must do neither, whatever server reads it.

import { describe, expect, test } from 'vitest';
import { renderBody } from '../src/notify/message-formats.js';
import type { Notification } from '../src/notify/notify-events.js';

const HOSTILE: Notification = {
  id: 'submits-refused-opened-1764576000000',
  event: 'submits-refused',
  state: 'opened',
  at: Date.UTC(2026, 11, 1, 8),
  title: 'pypi-watch: the farm is refusing submits @channel',
  lines: [
    'Last reason: queue full @all @here @channel @everyone, ask @ops-oncall',
    'see [the fix](http://evil.example/steal) or ![img](http://evil.example/x.png)',
    '[fix][1] and then',
    '[1]: http://evil.example/ref',
  ],
  details: {},
};

interface SlackBody {
  text: string;
  blocks: Array<{ type: string; text?: { type: string; text: string }; elements?: Array<{ text: string }> }>;
}

function rendered(): { text: string; mrkdwn: string[] } {
  const body = JSON.parse(renderBody(HOSTILE, { format: 'slack' })) as SlackBody;
  const mrkdwn = body.blocks.flatMap((block) => [
    ...(block.text?.type === 'mrkdwn' ? [block.text.text] : []),
    ...(block.elements ?? []).map((element) => element.text),
  ]);
  return { text: body.text, mrkdwn };
}

describe('slack format on Slack-compatible servers', () => {
  test('no @-mention of a channel, everyone or a person survives in text read as Markdown', () => {
    const { text, mrkdwn } = rendered();
    for (const part of [text, ...mrkdwn]) expect(part).not.toMatch(/(^|[^\w])@[A-Za-z]/);
    // Still readable.
    expect(text).toContain('channel');
    expect(text).toContain('ops-oncall');
  });

  test('no Markdown link or image hides a URL behind words', () => {
    const { text, mrkdwn } = rendered();
    for (const part of [text, ...mrkdwn]) {
      expect(part).not.toMatch(/\]\(/);
      expect(part).not.toMatch(/\]\[/);
      expect(part).not.toMatch(/^\[[^\]]*\]:/m);
    }
    // The URLs themselves stay visible.
    expect(text).toContain('http://evil.example/steal');
  });
});
