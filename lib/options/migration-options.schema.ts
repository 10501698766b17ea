import { IsBoolean, IsOptional, Matches, ValidateBy } from 'class-validator';

// How to find the user of a legacy session: a function, checked for each migration source.
const IsUserIdFunction = () =>
  ValidateBy({
    name: 'isFunction',
    validator: {
      validate: (value: unknown) => typeof value === 'function',
      defaultMessage: () => 'must be a function of the legacy session returning the user ID',
    },
  });

/**
 * The options under `migration`, for moving sessions from another setup without logging anyone
 * out: each declared, documented and validated here once. The package types `migration` with
 * this shape as `SessionMigrationOptions`; the class itself is not exported.
 */
export class MigrationOptionsSchema {
  /**
   * Key prefix of an existing connect-redis store (its default is `'sess:'`) on the same Redis.
   * A session found there on first use is stored in this module's form (hashed key, encrypted)
   * and deleted there. Needs the same cookie name and secret as before. Remove the option once
   * an absolute lifetime has passed.
   * @default none (nothing is migrated)
   */
  @IsOptional()
  @Matches(/^[\w:.-]{1,64}$/, { message: "must be a key prefix such as 'sess:'" })
  connectRedisPrefix?: string;

  /**
   * How to find the user a migrated connect-redis session belongs to (e.g. `(s) => s.user?.id`,
   * or `(s) => s.passport?.user` with Passport), so it stays logged in for RevokedSessionGuard
   * and joins the user's index.
   * @default none (migrated sessions keep their data but are anonymous)
   */
  @IsOptional()
  @IsUserIdFunction()
  connectRedisUserId?: (legacySession: Record<string, any>) => string | number | undefined;

  /**
   * Table of an existing connect-pg-simple store (its default is `'session'`; `'schema.table'`
   * for another schema) in the database of `postgres`. A session found there on first use is
   * stored in this module's form (hashed key, encrypted) and deleted there. Needs the same cookie
   * name and secret as before. Remove the option once an absolute lifetime has passed.
   * @default none (nothing is migrated)
   */
  @IsOptional()
  @Matches(/^([A-Za-z_][\w$]{0,62}\.)?[A-Za-z_][\w$]{0,62}$/, {
    message: "must be a table name such as 'session' or 'public.session'",
  })
  connectPgSimpleTable?: string;

  /**
   * How to find the user a migrated connect-pg-simple session belongs to, as
   * `connectRedisUserId` does for connect-redis.
   * @default none (migrated sessions keep their data but are anonymous)
   */
  @IsOptional()
  @IsUserIdFunction()
  connectPgSimpleUserId?: (legacySession: Record<string, any>) => string | number | undefined;

  /**
   * With `encryptionKeys`, still read records this module wrote before encryption was turned on;
   * each is encrypted on its next write. Off, they read as no session. Remove it once an
   * absolute lifetime has passed.
   * @default false
   */
  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  acceptPlaintextRecords?: boolean;
}
