// Replaces secret values with [REDACTED] in text we store or log: by the key that names them, and by value.

export const REDACTED = '[REDACTED]';

/**
 * Shortest value hunted through free text, in characters. A shorter one (an account token of `0`,
 * say) would shred every line it occurs in — `got job id=0`, timestamps, versions — while hiding
 * next to nothing, since a value that short is guessable anyway. It is still redacted wherever a
 * key names it (`my_token: 0`).
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Stands in for `[REDACTED]` until both passes are done, so the value pass cannot match inside an
 * earlier replacement (a secret such as `ACTED`). A private-use character no secret holds.
 */
const MARK = '\uE000';

/**
 * Keys whose values are secret however they are printed: the farm account (`my_token`,
 * `my_email`, … and lkp-tests' other `my_*` keys), the AI repair keys of the job, and anything
 * named like a token, secret or password.
 */
const SECRET_KEY = String.raw`my_\w+|api_key|base_url|ai_model|\w*(?:token|secret|password|passwd)\w*`;

/**
 * `key: v`, `key=v`, `"key": "v"`, `"key"=>"v"`, `key: 'v'` for a secret key. Group 1 keeps the
 * key and separator; group 2 is the quote and group 3 the quoted value, or group 4 the bare value,
 * which runs to the end of the line or the next quote, comma or bracket (`my_name: Jane Doe`):
 * redacting too much of a line is harmless, since the output is parsed before it is redacted.
 */
const SECRET_ASSIGNMENT = new RegExp(
  // The key and its separator; then a quoted value (to its closing quote) or a bare one (to a separator).
  String.raw`((?:["']?)\b(?:${SECRET_KEY})\b["']?\s*(?:=>|[:=])[ \t]*)` +
    String.raw`(?:(["'])((?:\\.|(?!\2)[^\\\n])*)\2|([^\s"',}\]]+(?:[ \t]+[^\s"',}\]]+)*))`,
  'gi',
);

/**
 * Redacts a fixed set of configured secret values (AI key, base URL, model, account values) and,
 * in `redact`, every value printed under a secret key plus later repeats of it.
 */
export class SecretRedactor {
  readonly #configured: readonly string[];
  readonly #learned = new Set<string>();
  readonly #jsonPattern: RegExp | undefined;
  #valuePattern: RegExp | undefined;

  constructor(secrets: Iterable<string | undefined>) {
    this.#configured = huntable(secrets);
    this.#valuePattern = valuePattern(this.#configured);
    this.#jsonPattern = valuePattern(huntable(secrets, { jsonOnly: true }));
  }

  /**
   * Secret keys' values first, then every known value wherever it appears. A value found under a
   * key is remembered, so its repeats in later calls on this redactor (a failure reason after the
   * output it came from) are caught too: use one redactor per submit run.
   */
  redact(text: string): string {
    const before = this.#learned.size;
    const byKey = text.replace(
      SECRET_ASSIGNMENT,
      (_whole, prefix: string, quote: string | undefined, quoted: string | undefined, bare: string | undefined) => {
        const value = quoted ?? bare ?? '';
        if (value !== '' && value !== REDACTED && !value.includes(MARK)) this.#learned.add(value);
        return quote === undefined ? `${prefix}${MARK}` : `${prefix}${quote}${MARK}${quote}`;
      },
    );
    if (this.#learned.size !== before) this.#valuePattern = valuePattern(huntable([...this.#configured, ...this.#learned]));
    const byValue = this.#valuePattern === undefined ? byKey : byKey.replace(this.#valuePattern, MARK);
    return byValue.replaceAll(MARK, REDACTED);
  }

  /**
   * The configured values inside one serialized JSON text (a pino line), as JSON escapes them.
   * Only escaped forms are hunted, so a replacement stays inside a string and the line stays JSON.
   */
  redactJson(json: string): string {
    return this.#jsonPattern === undefined ? json : json.replace(this.#jsonPattern, REDACTED);
  }
}

/** The values worth hunting: long enough, each also as JSON would escape it (a log line, a Ruby inspect). */
function huntable(secrets: Iterable<string | undefined>, options: { readonly jsonOnly?: boolean } = {}): string[] {
  const found = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string') continue;
    for (const form of [secret, secret.trim()]) {
      if (form.length < MIN_SECRET_LENGTH) continue;
      if (options.jsonOnly !== true) found.add(form);
      found.add(JSON.stringify(form).slice(1, -1));
    }
  }
  return [...found];
}

/**
 * One alternation, longest first, so a secret that contains another is replaced whole and a
 * replacement is never searched again (a secret like `ACTED` cannot eat into `[REDACTED]`).
 */
function valuePattern(values: readonly string[]): RegExp | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...new Set(values)].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}

/** Every secret value in the config: what no log line, batch file or Redis value may hold. */
export function configuredSecretValues(config: {
  readonly secrets: { readonly aiApiKey?: string | undefined; readonly dashboardPassword?: string | undefined };
  readonly ai: { readonly baseUrl?: string | undefined; readonly model?: string | undefined };
}): string[] {
  return [config.secrets.aiApiKey, config.ai.baseUrl, config.ai.model, config.secrets.dashboardPassword].filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
}
