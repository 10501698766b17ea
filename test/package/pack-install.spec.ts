import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a user gets from `npm pack` (and so from `npm publish`) of a fresh checkout: packed from a
// copy of the source tree without dist/, so only the `prepack` build can put the library in it,
// and so this test never rebuilds the dist/ that other specs read. The tarball is then installed
// into a CommonJS app and an ES module app that each boot Nest with the module.
const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Not copied: build output, dependencies (linked instead) and VCS data. */
const notSource = new Set(['.git', 'node_modules', 'dist', 'dist-bench', 'coverage']);
/** The peers an app installs beside the package, and its HTTP platform for NestFactory. */
const peers = ['@nestjs/common', '@nestjs/core', 'class-validator', 'reflect-metadata', 'rxjs'];

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/** Runs npm, and says what it printed when it fails. */
async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: e,
    });
  }
}

/** The version of a package this repo's lockfile pins, so the apps test what the repo tests. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

// One app in plain JavaScript (decorators applied as functions), its imports given per module
// system: it stores a counter in the session, then sends the cookie back and reads it again.
const appBody = (create: string) => `
class VisitController {
  visit(req) {
    req.session.visits = (req.session.visits ?? 0) + 1;
    return { visits: req.session.visits };
  }
}
Controller()(VisitController);
const visit = Object.getOwnPropertyDescriptor(VisitController.prototype, 'visit');
Get('visit')(VisitController.prototype, 'visit', visit);
Req()(VisitController.prototype, 'visit', 0);

class AppModule {}
Module({
  imports: [
    SessionModule.forRoot({ secret: [process.env.SESSION_SECRET], cookie: { secure: 'auto' } }),
  ],
  controllers: [VisitController],
})(AppModule);

async function main() {
  const app = await ${create};
  await app.listen(0, '127.0.0.1');
  const url = 'http://127.0.0.1:' + app.getHttpServer().address().port + '/visit';
  const first = await fetch(url);
  const setCookie = first.headers.get('set-cookie');
  const again = await fetch(url, { headers: { cookie: (setCookie ?? '').split(';')[0] } });
  console.log('RESULT ' + JSON.stringify({
    status: first.status, setCookie, first: await first.json(), again: await again.json(),
  }));
  await app.close();
}
`;
const onExpress = "NestFactory.create(AppModule, { logger: ['error', 'warn'] })";
const apps = [
  {
    name: 'a CommonJS app (require)',
    type: 'commonjs',
    platform: '@nestjs/platform-express',
    source: `require('reflect-metadata');
const { Controller, Get, Module, Req } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { SessionModule } = require('nestjs-secure-session');
${appBody(onExpress)}
main().catch((e) => { console.error(e); process.exit(1); });
`,
  },
  {
    name: 'an ES module app (import)',
    type: 'module',
    platform: '@nestjs/platform-express',
    source: `import 'reflect-metadata';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SessionModule } from 'nestjs-secure-session';
${appBody(onExpress)}
await main();
`,
  },
  {
    name: 'a Fastify app (FastifyAdapter, no Express installed)',
    type: 'fastify',
    platform: '@nestjs/platform-fastify',
    source: `import 'reflect-metadata';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SessionModule } from 'nestjs-secure-session';
${appBody("NestFactory.create(AppModule, new FastifyAdapter(), { logger: ['error', 'warn'] })")}
await main();
`,
  },
] as const;
type AppType = (typeof apps)[number]['type'];

/** Every file under a directory. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the packed tarball, installed from a fresh checkout', () => {
  let work: string;
  let packed: PackResult;
  const installed = {} as Record<AppType, { dir: string; stderr: string }>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'nss-pack-'));
    const source = join(work, 'source');
    cpSync(root, source, {
      recursive: true,
      filter: (from) =>
        dirname(from) !== root || (!notSource.has(basename(from)) && !from.endsWith('.tgz')),
    });
    symlinkSync(join(root, 'node_modules'), join(source, 'node_modules'), 'dir');
    // Secrets a developer may keep around: `files` must leave them out.
    writeFileSync(join(source, '.env'), 'SESSION_SECRET=not-for-the-tarball\n');
    writeFileSync(join(source, 'lib/.env'), 'SESSION_SECRET=not-for-the-tarball\n');

    const { stdout } = await npm(['pack', '--json', '--pack-destination', work], source);
    // Older npm versions print the prepack script's output on stdout before the JSON.
    [packed] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as PackResult[];
    const tarball = join(work, packed.filename);

    await Promise.all(
      apps.map(async ({ type, platform, source }) => {
        const dir = join(work, `${type}-app`);
        mkdirSync(dir);
        const dependencies = Object.fromEntries([
          ['nestjs-secure-session', `file:${tarball}`],
          ...[...peers, platform].map((name) => [name, lockedVersion(name)]),
        ]);
        writeFileSync(
          join(dir, 'package.json'),
          JSON.stringify({
            name: `${type}-app`,
            private: true,
            type: type === 'commonjs' ? 'commonjs' : 'module',
            dependencies,
          }),
        );
        writeFileSync(join(dir, 'main.js'), source);
        const { stderr } = await npm(
          ['install', '--prefer-offline', '--no-audit', '--no-fund'],
          dir,
        );
        installed[type] = { dir, stderr };
      }),
    );
  }, 900_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the library build, its sources, LICENSE, README and package.json, and nothing else', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'lib/index.ts',
        'LICENSE',
        'README.md',
        'package.json',
      ]),
    );
    const outside = paths.filter(
      (p) => !/^(dist\/lib|lib)\//.test(p) && !['LICENSE', 'README.md', 'package.json'].includes(p),
    );
    expect(outside).toEqual([]);
    expect(paths.filter((p) => /(^|\/)(sample|test|bench)\/|(^|\/)\.env/.test(p))).toEqual([]);
  });

  for (const { name, type } of apps)
    it(`boots ${name} that gets a session cookie and its session back`, async () => {
      const { dir, stderr } = installed[type];
      // Our package's own engines and peer ranges are met by what the repo pins, on this Node.
      expect(stderr.split('\n').filter((line) => line.includes('nestjs-secure-session'))).toEqual(
        [],
      );

      // Development: the plain-HTTP cookie (`secure: 'auto'`) is refused in production.
      const env = {
        ...process.env,
        NODE_ENV: 'development',
        SESSION_SECRET: randomBytes(32).toString('base64url'),
      };
      const { stdout } = await run(process.execPath, ['main.js'], {
        cwd: dir,
        env,
        timeout: 60_000,
      });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      expect(line, stdout).toBeDefined();
      const result = JSON.parse(line!.slice('RESULT '.length)) as Record<string, unknown>;
      expect(result).toEqual({
        status: 200,
        setCookie: expect.stringMatching(/^sid=s%3A[^;]+;.*HttpOnly.*SameSite=Lax/i),
        first: { visits: 1 },
        again: { visits: 2 },
      });
    }, 120_000);

  it('installs neither Express nor express-session nor a Fastify session plugin into the Fastify app', () => {
    const modules = join(installed.fastify.dir, 'node_modules');
    const present = [
      'express',
      '@nestjs/platform-express',
      'express-session',
      '@fastify/session',
      '@fastify/cookie',
    ].filter((name) => existsSync(join(modules, name)));
    expect(present).toEqual([]);
  });

  it('ships source maps whose sources are in the installed package', () => {
    const pkg = join(installed.module.dir, 'node_modules/nestjs-secure-session');
    const files = filesUnder(join(pkg, 'dist/lib'));
    const missing: string[] = [];
    for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(file, 'utf8'))?.[1];
      if (url && !existsSync(resolve(dirname(file), url)))
        missing.push(`${relative(pkg, file)}: ${url}`);
    }
    for (const map of files.filter((f) => f.endsWith('.map'))) {
      const { sourceRoot = '', sources } = JSON.parse(readFileSync(map, 'utf8')) as {
        sourceRoot?: string;
        sources: string[];
      };
      for (const source of sources) {
        const path = resolve(dirname(map), sourceRoot, source);
        if (!existsSync(path)) missing.push(`${relative(pkg, map)}: ${source}`);
      }
    }
    expect(files.filter((f) => f.endsWith('.js.map')).length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});
