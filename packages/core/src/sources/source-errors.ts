// Errors raised while fetching releases from PyPI, so the poll worker can tell them apart by class.

import { PypiWatchError } from '../errors.js';

/** Fetching from PyPI failed: HTTP status, network error or timeout, after the retries ran out. */
export class SourceError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }, code = 'ERR_SOURCE') {
    super(code, message, options);
    this.name = 'SourceError';
  }
}

/** A response body grew past `maxBodyBytes`; the download was aborted before it was buffered. */
export class ResponseTooLargeError extends SourceError {
  readonly limitBytes: number;

  constructor(url: string, limitBytes: number, options?: { cause?: unknown }) {
    super(`response from ${url} is larger than the ${limitBytes}-byte limit (maxBodyBytes)`, options, 'ERR_SOURCE_RESPONSE_TOO_LARGE');
    this.name = 'ResponseTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** The XML-RPC server answered with a `<fault>`. */
export class XmlRpcFaultError extends SourceError {
  readonly faultCode: number;
  readonly faultString: string;

  constructor(method: string, faultCode: number, faultString: string) {
    super(`XML-RPC ${method}() failed with fault ${faultCode}: ${faultString}`, undefined, 'ERR_XMLRPC_FAULT');
    this.name = 'XmlRpcFaultError';
    this.faultCode = faultCode;
    this.faultString = faultString;
  }
}

/** The whole document is unusable: not well-formed XML (often a truncated body), or not the expected shape. */
export class FeedFormatError extends SourceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'ERR_FEED_FORMAT');
    this.name = 'FeedFormatError';
  }
}

/** PyPI's JSON API answered with something that is not JSON, or not shaped like a release. */
export class JsonApiFormatError extends SourceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'ERR_JSON_API_FORMAT');
    this.name = 'JsonApiFormatError';
  }
}
