// The names of pypi-watch's BullMQ queues (their keys: redis/redis-keys.ts).

export const QUEUE_NAMES = ['poll', 'submit', 'cleanup', 'result', 'notify'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}
