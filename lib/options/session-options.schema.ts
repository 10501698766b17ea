import {
  ArrayNotEmpty,
  IsArray,
  IsString,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import type { SessionCookieOptions } from '../session-module-options.interface.js';
import { RedisOptionsSchema } from './redis-options.schema.js';

const COOKIE_NAME_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const isSecret = (value: unknown): boolean =>
  (typeof value === 'string' && value.length > 0) ||
  (Array.isArray(value) &&
    value.length > 0 &&
    value.every((s) => typeof s === 'string' && s.length > 0));

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** @internal class-validator shape of `cookie`. */
export class CookieOptionsSchema implements SessionCookieOptions {
  @IsOptional()
  @IsIn([true, false, 'auto'], { message: "must be true, false or 'auto'" })
  secure?: boolean | 'auto';

  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  httpOnly?: boolean;

  @IsOptional()
  @IsIn(['lax', 'strict', 'none'], { message: "must be 'lax' or 'strict'" })
  sameSite?: 'lax' | 'strict' | 'none';

  @IsOptional()
  @Matches(/^\/[\x21-\x3a\x3c-\x7e]*$/, {
    message: "must start with '/' and hold no ';' or spaces",
  })
  path?: string;

  @IsOptional()
  @Matches(/^[a-z0-9.-]+$/i, { message: 'must be a bare host name such as example.com' })
  domain?: string;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1000, { message: 'must be at least 1000 ms' })
  @Max(ONE_YEAR_MS, { message: 'must be at most one year' })
  maxAge?: number;
}

/** @internal class-validator shape of `migration`. */
export class MigrationOptionsSchema {
  @IsOptional()
  @Matches(/^[\w:.-]{1,64}$/, { message: "must be a key prefix such as 'sess:'" })
  connectRedisPrefix?: string;

  @IsOptional()
  @ValidateBy({
    name: 'isFunction',
    validator: {
      validate: (value: unknown) => typeof value === 'function',
      defaultMessage: () => 'must be a function of the legacy session returning the user ID',
    },
  })
  connectRedisUserId?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  acceptPlaintextRecords?: boolean;
}

/** @internal class-validator shape of the whole options object. */
export class SessionOptionsSchema {
  @IsOptional()
  @ValidateBy({
    name: 'isSecret',
    validator: {
      validate: isSecret,
      defaultMessage: () =>
        'must be a non-empty string, or a non-empty array of them (newest first)',
    },
  })
  secret?: string | string[];

  @IsOptional()
  @Matches(COOKIE_NAME_TOKEN, { message: 'must be a cookie name token (letters, digits, -_.)' })
  name?: string;

  @IsOptional()
  @ValidateNested()
  cookie?: CookieOptionsSchema;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1000, { message: 'must be at least 1000 ms' })
  idleTimeout?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1000, { message: 'must be at least 1000 ms' })
  absoluteTimeout?: number;

  @IsOptional()
  @IsNumber({}, { message: 'must be a number' })
  @Min(0.01, { message: 'must be at least 0.01' })
  @Max(0.5, { message: 'must be at most 0.5 (at 1 no activity would ever extend a session)' })
  renewalFraction?: number;

  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  maxSessionsPerUser?: number;

  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  globalGuard?: boolean;

  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  globalInterceptor?: boolean;

  @IsOptional()
  @ValidateNested()
  redis?: RedisOptionsSchema;

  @IsOptional()
  @IsArray({ message: 'must be an array of keys, newest first' })
  @ArrayNotEmpty({ message: 'must hold at least one key' })
  @IsString({ each: true, message: 'must hold only strings' })
  encryptionKeys?: string[];

  @IsOptional()
  @IsInt({ message: 'must be a whole number of bytes' })
  @Min(256, { message: 'must be at least 256' })
  @Max(1_048_576, { message: 'must be at most 1048576' })
  maxSessionBytes?: number;

  @IsOptional()
  @ValidateNested()
  migration?: MigrationOptionsSchema;

  @IsOptional()
  @IsArray({ message: 'must be an array of origins' })
  @Matches(/^https?:\/\/[^/\s]+$/, {
    each: true,
    message: "must hold origins such as 'https://app.example.com' (scheme and host, no path)",
  })
  allowedOrigins?: string[];

  @IsOptional()
  @IsArray({ message: 'must be an array of routes' })
  forRoutes?: unknown[];

  @IsOptional()
  @IsArray({ message: 'must be an array of routes' })
  exclude?: unknown[];

  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  dangerouslyAllowInsecureProductionConfig?: boolean;
}
