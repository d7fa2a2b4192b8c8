// Error classes with a stable `code`, so callers test `instanceof` or `code`, never message text.

export class PypiWatchError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PypiWatchError';
    this.code = code;
  }
}

/** The config file, an environment override or a CLI argument is invalid. */
export class ConfigError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

/** Redis could not be reached, or the embedded redis-server could not start. */
export class RedisUnavailableError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REDIS_UNAVAILABLE', message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** No `redis-server` executable to run the embedded Redis with. */
export class RedisNotInstalledError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REDIS_NOT_INSTALLED', message, options);
    this.name = 'RedisNotInstalledError';
  }
}

/** The server an embedded-Redis endpoint file names cannot show it is the one pypi-watch started. */
export class UntrustedRedisError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REDIS_UNTRUSTED', message, options);
    this.name = 'UntrustedRedisError';
  }
}

/** A package list or a feed entry is not acceptable input. */
export class InvalidInputError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
  }
}
