import { randomBytes } from 'node:crypto';
import { validateSync, type ValidationError } from 'class-validator';
import type { LoggerService } from '@nestjs/common';
import { isPlainObject, isSet } from './option-values.js';
import { routeProblems } from './route-options.js';
import { storeChoiceProblems } from './store-choice.js';
import type { SessionModuleOptions } from '../session-module-options.interface.js';
import { SessionOptionsError } from '../session.errors.js';
import { SESSION_DEFAULTS } from './session-defaults.js';
import { TRANSFORMED_OPTIONS, type ResolvedSessionOptions } from './resolved-session-options.js';
import { parseEncryptionKeys } from '../crypto/encryption-keys.js';
import { toSchemaInstance } from './nested-options.js';
import { SessionOptionsSchema } from './session-options.schema.js';
import { MIN_SECRET_BYTES, secretWeakness } from './weak-secrets.js';

const OPT_OUT = 'dangerouslyAllowInsecureProductionConfig';
const REDIS_TARGETS = ['url', 'cluster', 'sentinel', 'client'] as const;

/**
 * @internal Validates the user's options, fills in defaults and applies the production policy.
 * Throws one SessionOptionsError listing every problem; logs warnings for risky choices.
 */
export function resolveSessionOptions(
  options: SessionModuleOptions,
  logger: LoggerService,
  nodeEnv = process.env.NODE_ENV,
): ResolvedSessionOptions {
  const schemaProblems = validateShape(options);
  if (schemaProblems.length > 0) throw new SessionOptionsError(schemaProblems);
  const given = defined(options);
  const encryption = parseEncryptionKeys(given.encryptionKeys ?? []);
  if (encryption.problems.length > 0) throw new SessionOptionsError(encryption.problems);

  // A copy, so that no app can change another's defaults through its resolved options.
  const defaults = structuredClone(SESSION_DEFAULTS);
  const production = nodeEnv === 'production';
  const cookie = { ...defaults.cookie, ...defined(given.cookie) };
  const insecure = insecureChoices(given, cookie);
  if (production && insecure.length > 0) {
    if (given[OPT_OUT] !== true) {
      throw new SessionOptionsError(
        insecure.map(
          (p) =>
            `${p} (refused because NODE_ENV=production; set \`${OPT_OUT}: true\` to accept it anyway)`,
        ),
      );
    }
    for (const p of insecure)
      logger.warn(`INSECURE session configuration accepted in production: ${p}`);
  } else if (!production) {
    for (const p of insecure.filter((p) => !p.startsWith('`secret`'))) {
      logger.warn(`Session configuration that production refuses: ${p}`);
    }
  }

  const cookieNames = resolveCookieNames(given.name, cookie);
  let secrets = toArray(given.secret);
  if (secrets.length === 0) {
    logger.warn(
      'No session `secret` given: using a random one. Sessions will not survive a restart or be shared ' +
        'between instances. Set a secret of at least 32 random bytes (required in production).',
    );
    secrets = [randomBytes(32).toString('base64url')];
  }

  return {
    // Every other option: as given, or its default.
    ...omit(defaults, TRANSFORMED_OPTIONS),
    ...omit(given, TRANSFORMED_OPTIONS),
    secrets,
    cookieNames,
    cookie,
    redis: given.redis ? { ...defaults.redis, ...defined(given.redis) } : undefined,
    postgres: given.postgres ? { ...defaults.postgres, ...defined(given.postgres) } : undefined,
    encryptionKeys: encryption.keys,
    migration: { ...defaults.migration, ...defined(given.migration) },
  };
}

function validateShape(options: SessionModuleOptions): string[] {
  if (options === null || typeof options !== 'object') {
    return [`options must be an object, got ${describe(options)}`];
  }
  const schema = toSchemaInstance(SessionOptionsSchema, options);
  const errors = validateSync(schema, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  const problems = errors.flatMap((e) => describeError(e, ''));
  if (isPlainObject(options.redis)) {
    const given = REDIS_TARGETS.filter((key) => isSet(options.redis![key]));
    if (given.length > 1) {
      const names = given.map((key) => `\`redis.${key}\``).join(' and ');
      problems.push(`${names} are ${given.length === 2 ? 'both' : 'all'} set: give one of them`);
    }
    const { cluster, sentinel } = options.redis!;
    const schemes = new Set(
      cluster?.rootNodes?.map?.((node) => String(node).startsWith('rediss:')),
    );
    if (schemes.size > 1) {
      problems.push(
        '`redis.cluster.rootNodes` mixes redis:// and rediss://: use one for every node',
      );
    }
    if (sentinel?.sentinels?.some?.((node) => String(node).startsWith('rediss:'))) {
      problems.push(
        '`redis.sentinel.sentinels` uses rediss://, but these options cannot set TLS for the primary and replicas: pass your own createSentinel() client as `redis.client`',
      );
    }
    if (given.length === 0) {
      // Most often an unset REDIS_URL: falling back to per-process memory would make logouts
      // on one instance invisible to the others.
      problems.push(
        '`redis` is set but has none of `url`, `cluster`, `sentinel` or `client`: give one, or leave `redis` out for the memory store',
      );
    }
  }
  problems.push(...storeChoiceProblems(options));
  for (const key of ['forRoutes', 'exclude'] as const) {
    const routes = options[key];
    if (Array.isArray(routes))
      routes.forEach((route, i) => problems.push(...routeProblems(route, `${key}[${i}]`)));
  }
  const idle = options.idleTimeout ?? SESSION_DEFAULTS.idleTimeout;
  const absolute = options.absoluteTimeout ?? SESSION_DEFAULTS.absoluteTimeout;
  if (Number.isInteger(idle) && Number.isInteger(absolute) && idle > absolute) {
    problems.push(
      `\`idleTimeout\` = ${idle} is longer than \`absoluteTimeout\` = ${absolute}: make it shorter`,
    );
  }
  return problems;
}

function describeError(error: ValidationError, parent: string): string[] {
  const path = parent ? `${parent}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith('property ')
      ? `\`${path}\` is not a SessionModule option: remove it or check its spelling`
      : `\`${path}\` = ${describe(error.value, path)}: ${message}`,
  );
  return [...own, ...(error.children ?? []).flatMap((c) => describeError(c, path))];
}

function insecureChoices(
  options: SessionModuleOptions,
  cookie: ResolvedSessionOptions['cookie'],
): string[] {
  const problems: string[] = [];
  const secrets = toArray(options.secret);
  if (secrets.length === 0) {
    problems.push(`\`secret\` is missing: give at least ${MIN_SECRET_BYTES} random bytes`);
  }
  secrets.forEach((secret, i) => {
    const weakness = secretWeakness(secret);
    const label = Array.isArray(options.secret) ? `\`secret[${i}]\`` : '`secret`';
    if (weakness)
      problems.push(`${label} ${weakness}: use at least ${MIN_SECRET_BYTES} random bytes`);
  });
  if (cookie.secure !== true) {
    problems.push(
      `\`cookie.secure\` = ${describe(cookie.secure)}: the session cookie must be Secure`,
    );
  }
  if (cookie.httpOnly !== true) {
    problems.push('`cookie.httpOnly` = false: scripts could read the session cookie');
  }
  if (cookie.sameSite === 'none') {
    problems.push(
      "`cookie.sameSite` = 'none': the cookie would be sent on cross-site requests; use 'lax' or 'strict'",
    );
  }
  return problems;
}

function resolveCookieNames(
  name: string | undefined,
  cookie: ResolvedSessionOptions['cookie'],
): ResolvedSessionOptions['cookieNames'] {
  const hostPrefixAllowed = cookie.secure !== false && cookie.path === '/' && !cookie.domain;
  if (name?.startsWith('__Host-') || name?.startsWith('__Secure-')) {
    const problems: string[] = [];
    if (cookie.secure !== true) problems.push(`\`name\` = '${name}' needs \`cookie.secure: true\``);
    if (name.startsWith('__Host-') && !hostPrefixAllowed) {
      problems.push(`\`name\` = '${name}' needs \`cookie.path: '/'\` and no \`cookie.domain\``);
    }
    if (problems.length > 0) throw new SessionOptionsError(problems);
    return { secure: name, plain: name };
  }
  const base = name ?? SESSION_DEFAULTS.name;
  return { secure: hostPrefixAllowed ? `__Host-${base}` : base, plain: base };
}

// Options given as undefined or null (often from unset configuration) keep their secure default.
function defined<T extends object>(options: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(options ?? {}).filter(([, value]) => value !== undefined && value !== null),
  ) as Partial<T>;
}

function omit<T extends object, K extends PropertyKey>(options: T, keys: readonly K[]): Omit<T, K> {
  return Object.fromEntries(
    Object.entries(options).filter(([key]) => !keys.includes(key as K)),
  ) as Omit<T, K>;
}

function toArray(secret: string | string[] | undefined): string[] {
  if (secret === undefined) return [];
  return Array.isArray(secret) ? secret : [secret];
}

function describe(value: unknown, path = ''): string {
  if (/^(secret|encryptionKeys)|password/i.test(path)) return '(hidden)';
  if (/^(redis|postgres)/.test(path) && typeof value === 'string')
    value = value.replace(/\/\/[^@/]*@/, '//***@');
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (Array.isArray(value)) return `[${value.length} item(s)]`;
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return String(value);
}
