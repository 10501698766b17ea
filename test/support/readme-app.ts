import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { markdownDocs, ROOT, typescriptBlocks } from './markdown-docs.js';
import { freePort } from './redis-server.js';

/**
 * An app made of README's code blocks as written (each block whose first line names its file,
 * `// src/main.ts`), plus any files a test adds, compiled with tsc against the built package in
 * a directory of its own under .doc-snippets/.
 */
export class ReadmeApp {
  readonly dir: string;

  constructor(name: string) {
    this.dir = join(ROOT, '.doc-snippets', `${name}-${process.pid}`);
  }

  /** README's files by path: the first block that names each one. */
  static readmeFiles(): Map<string, string> {
    const readme = markdownDocs().find((doc) => doc.path === 'README.md')!;
    const files = new Map<string, string>();
    for (const { code } of typescriptBlocks(readme)) {
      const path = /^\/\/ (src\/[\w./-]+\.ts)\n/.exec(code)?.[1];
      if (path && !files.has(path)) files.set(path, code);
    }
    return files;
  }

  /** README's files at these paths, as written; throws naming any README no longer has. */
  static readmeFilesAt(paths: string[]): Map<string, string> {
    const readme = ReadmeApp.readmeFiles();
    const missing = paths.filter((path) => !readme.has(path));
    if (missing.length) throw new Error(`README has no block for ${missing.join(', ')}`);
    return new Map(paths.map((path) => [path, readme.get(path)!]));
  }

  /** Writes and compiles the files; throws tsc's errors. */
  compile(files: Map<string, string>): void {
    const errors = this.typeErrors(files);
    if (errors.length) throw new Error(`README's code does not compile:\n${errors.join('\n')}`);
  }

  private typeErrors(files: Map<string, string>): string[] {
    for (const [path, code] of files) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), code);
    }
    const program = ts.createProgram(
      [...files.keys()].map((path) => join(this.dir, path)),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        outDir: join(this.dir, 'dist'),
        rootDir: this.dir,
      },
    );
    return program
      .emit()
      .diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  /** Starts `dist/<entry>` with node on a free port and waits until it answers HTTP. */
  async start(entry: string, env: Record<string, string | undefined>): Promise<RunningApp> {
    const port = await freePort();
    // `timeout` stops the app by itself should the test die before it stops it.
    const child = spawn('timeout', ['300', process.execPath, join(this.dir, 'dist', entry)], {
      env: { ...process.env, NODE_ENV: 'development', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const url = `http://127.0.0.1:${port}`;
    for (let tries = 0; tries < 150; tries++) {
      if (child.exitCode !== null) throw new Error(`the app exited:\n${output}`);
      const answered = await fetch(url).then(
        () => true,
        () => false,
      );
      if (answered) return new RunningApp(url, child);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill();
    throw new Error(`the app did not answer:\n${output}`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class RunningApp {
  constructor(
    readonly url: string,
    readonly process: ChildProcess,
  ) {}

  get running(): boolean {
    return this.process.exitCode === null;
  }

  /** Stops it as a process manager would (SIGTERM: Nest's shutdown hooks run). */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    await exited;
  }
}
