import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Loads the built package (`npm test` builds first) the way an app would, from outside the repo.
const root = resolve(import.meta.dirname, '..');
const probe =
  'typeof m.SessionModule.forRootAsync + " " + typeof m.SessionService + " " + typeof m.Session';

describe('the built package', () => {
  let app: string;

  beforeAll(() => {
    if (!existsSync(join(root, 'dist/lib/index.js')))
      throw new Error('dist/ is missing: run `npm run build` first');
    app = mkdtempSync(join(tmpdir(), 'nss-consumer-'));
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(root, join(app, 'node_modules/nestjs-secure-session'), 'dir');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', type: 'commonjs' }),
    );
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const run = (args: string[]) =>
    execFileSync(process.execPath, ['--no-warnings', ...args], {
      cwd: app,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();

  it('loads with require() from a CommonJS app (a `nest new` app)', () => {
    writeFileSync(
      join(app, 'main.js'),
      `const m = require('nestjs-secure-session');\nconsole.log(${probe});\n`,
    );
    expect(run(['main.js'])).toBe('function function function');
  });

  it('loads with import from an ES module app', () => {
    writeFileSync(
      join(app, 'main.mjs'),
      `import * as m from 'nestjs-secure-session';\nconsole.log(${probe});\n`,
    );
    expect(run(['main.mjs'])).toBe('function function function');
  });

  it('exports the store contract suite as nestjs-secure-session/testing', () => {
    writeFileSync(
      join(app, 'contract.mjs'),
      `import * as t from 'nestjs-secure-session/testing';\nconsole.log(typeof t.describeSessionStoreContract);\n`,
    );
    expect(run(['contract.mjs'])).toBe('function');
    expect(existsSync(join(root, 'dist/lib/testing.d.ts'))).toBe(true);
  });

  it('ships type declarations where its exports map points', () => {
    expect(existsSync(join(root, 'dist/lib/index.d.ts'))).toBe(true);
  });

  it('refuses deep imports, so only the public API is reachable', () => {
    writeFileSync(
      join(app, 'deep.mjs'),
      `import 'nestjs-secure-session/dist/lib/session.service.js';\n`,
    );
    expect(() => run(['deep.mjs'])).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});

// A user's app: session keys typed by declaration merging, the decorators, the service, the
// guards subclassed, the named errors.
const consumerApp = `import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Req } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import {
  InjectSessionOptions, RevokedSessionGuard, SameOriginGuard, Session, SessionModule,
  SessionService, SessionTooLargeError, type RequestSession, type ResolvedSessionOptions,
} from 'nestjs-secure-session';

declare module 'nestjs-secure-session' {
  interface SessionData { cart: string[] }
}

@Injectable() class LoggedInGuard extends RevokedSessionGuard {
  constructor(reflector: Reflector) { super(reflector); }
}
@Injectable() class OriginGuard extends SameOriginGuard {
  constructor(@InjectSessionOptions() options: ResolvedSessionOptions) { super(options); }
}

@Controller() class CartController {
  constructor(private readonly sessions: SessionService) {}

  @Get() async cart(
    @Session('cart') cart: string[] | undefined, @Session() session: RequestSession, @Req() req: Request,
  ): Promise<string> {
    session.regenerate((err) => { if (err) throw err; });
    req.session.save();
    try {
      await this.sessions.login(req, 'u1', { keep: ['cart'] });
    } catch (e) {
      if (e instanceof SessionTooLargeError) return String(e.maxBytes);
      throw e;
    }
    const ips: (string | null)[] = (await this.sessions.list('u1', req)).map((s) => s.ip);
    const revoked: number = await this.sessions.revokeAll('u1');
    return [session.id, session.meta?.userId, ...(cart ?? []), ...ips, revoked].join();
  }
}

@Module({
  imports: [SessionModule.forRoot({ secret: 'a-32-character-secret-for-a-test!' })],
  controllers: [CartController], providers: [LoggedInGuard, OriginGuard],
})
export class AppModule {}
`;
const badKeyApp = `import { Controller, Get } from '@nestjs/common';
import { Session } from 'nestjs-secure-session';
@Controller() export class BadController {
  @Get() get(@Session('nope') nope: unknown): unknown { return nope; }
}
`;
// Only what tsc needs: the linked packages' own dependencies resolve from their real paths.
// `redis` too: the `redis.client` option is typed with its client types (README says so).
const consumerDeps =
  '@nestjs/common @nestjs/core @types/express @types/node redis reflect-metadata rxjs';
const consumerTsconfig = `{ "include": ["src"], "compilerOptions": {
  "strict": true, "skipLibCheck": false, "module": "NodeNext", "moduleResolution": "NodeNext",
  "experimentalDecorators": true, "emitDecoratorMetadata": true, "noEmit": true, "types": ["node"]
} }`;

/** A strict TypeScript app in a temporary folder with `deps` and the built package. */
function strictConsumer(deps: string) {
  let app = '';
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'nss-types-'));
    for (const dep of deps.split(' ')) {
      mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
    }
    // Copied as npm installs it: linked to the repo, the package's imports would resolve from the
    // repo's node_modules (which has @types/express-session) and prove nothing.
    const pkg = join(app, 'node_modules/nestjs-secure-session');
    cpSync(join(root, 'dist/lib'), join(pkg, 'dist/lib'), { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module' }));
    writeFileSync(join(app, 'tsconfig.json'), consumerTsconfig);
    mkdirSync(join(app, 'src'));
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  return {
    write: (file: string, source: string) => writeFileSync(join(app, 'src', file), source),
    tscErrors: () => {
      const tsc = join(root, 'node_modules/typescript/bin/tsc');
      const { status, stdout } = spawnSync(
        process.execPath,
        [tsc, '-p', '.', '--pretty', 'false'],
        { cwd: app, encoding: 'utf8' },
      );
      return { status, errors: stdout.split('\n').filter(Boolean) };
    },
  };
}

describe('the built package, type-checked by a consumer', () => {
  const { write, tscErrors } = strictConsumer(consumerDeps);

  it('compiles a strict TypeScript consumer without @types/express-session (skipLibCheck: false)', () => {
    write('app.ts', consumerApp);
    expect(tscErrors()).toEqual({ status: 0, errors: [] });

    // The key of @Session('key') is checked against SessionData: it is not `any`.
    write('bad-key.ts', badKeyApp);
    expect(tscErrors().errors).toEqual([
      expect.stringMatching(/^src\/bad-key\.ts\(4,\d+\): error TS2345: Argument of type '"nope"'/),
    ]);
  }, 120_000);
});

// A Fastify app: every SessionService method takes the FastifyRequest, and the
// 'nestjs-secure-session/fastify' entry types req.session on it. No Express types are installed.
const fastifyConsumerApp = `import 'reflect-metadata';
import { Controller, Get, Module, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import 'nestjs-secure-session/fastify';
import { Session, SessionModule, SessionService, type RequestSession } from 'nestjs-secure-session';

@Controller() class AccountController {
  constructor(private readonly sessions: SessionService) {}

  @Get() async account(
    @Req() req: FastifyRequest, @Session() session: RequestSession,
  ): Promise<string> {
    req.session.touch();
    const id: string = req.sessionID;
    await this.sessions.login(req, 'u1');
    await this.sessions.regenerate(req);
    await this.sessions.save(req);
    const listed = await this.sessions.list('u1', req);
    const others: number = await this.sessions.revokeOthers(req);
    const info = this.sessions.info(req);
    await this.sessions.logout(req);
    return [id, session.id, listed.length, others, info?.id].join();
  }
}

@Module({
  imports: [SessionModule.forRoot({ secret: 'a-32-character-secret-for-a-test!' })],
  controllers: [AccountController],
})
export class AppModule {}
`;

describe('the built package, type-checked by a Fastify consumer', () => {
  const { write, tscErrors } = strictConsumer(
    '@nestjs/common @nestjs/core @nestjs/platform-fastify fastify @types/node redis reflect-metadata rxjs',
  );

  it('compiles a strict Fastify app without casts and without Express types (skipLibCheck: false)', () => {
    write('app.ts', fastifyConsumerApp);
    expect(tscErrors()).toEqual({ status: 0, errors: [] });
  }, 120_000);
});
