import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import * as api from 'nestjs-secure-session';

// Renamed exports stay as aliases of the class they were renamed to, so `instanceof` keeps working.
const DEPRECATED_ALIASES: Record<string, string> = {
  SessionRevokedError: 'SessionRevokedException',
  SessionTooLargeError: 'SessionTooLargeException',
};

const exportedErrors = Object.entries(api as Record<string, unknown>).filter(
  (entry): entry is [string, abstract new (...args: never[]) => Error] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
);

describe('public error names', () => {
  it('end in …Exception for HTTP exceptions and …Error for plain errors', () => {
    expect(exportedErrors.length).toBeGreaterThan(5);
    for (const [name, type] of exportedErrors) {
      if (name in DEPRECATED_ALIASES) continue;
      const http = type.prototype instanceof HttpException;
      expect(name, `${name} is ${http ? 'an HttpException' : 'a plain Error'}`).toMatch(
        http ? /Exception$/ : /Error$/,
      );
    }
  });

  it('keep the old names as the renamed classes themselves', () => {
    const exported = new Map<string, unknown>(Object.entries(api));
    for (const [alias, current] of Object.entries(DEPRECATED_ALIASES)) {
      expect(exported.get(alias), alias).toBe(exported.get(current));
    }
    const error: unknown = new api.SessionTooLargeException(10, 5);
    expect(error).toBeInstanceOf(api.SessionTooLargeError);
    expect((error as HttpException).getStatus()).toBe(413);
  });
});
