/**
 * The README's TypeScript/JavaScript examples are programs: each ```ts / ```js
 * block is transpiled, its `from 'xopstream'` pointed at the built package
 * (dist/src/index.js), and run with `node` in a fresh temp directory. A block
 * that throws, fails an `assert` or hangs fails its subtest, so the README
 * cannot drift from the API it documents. The same blocks are also
 * type-checked (strict) against src/index.ts, so a call that only works by
 * accident at run time is caught too. Other fences (sh, text, xml, json) are
 * left alone.
 *
 * The examples get `XOPSTREAM_ROOT` (the project root, for `corpus/` files)
 * and no Redis or shared corpus: they must run on any machine.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { projectRoot } from './support/corpus.js';

const EXAMPLE_TIMEOUT_MS = 30_000;
const RUNNABLE_LANGUAGES = new Set(['ts', 'js', 'typescript', 'javascript']);

/** One fenced code block of the README and the heading it sits under. */
interface Example {
  name: string;
  language: string;
  code: string;
  line: number;
}

/** The runnable fenced blocks of a Markdown text, each named after its nearest heading (numbered when a heading has several). */
function extractExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  const perHeading = new Map<string, number>();
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const headingMatch = /^#{1,6}\s+(.*)$/.exec(line);
    if (headingMatch !== null) {
      heading = headingMatch[1]!.trim();
      continue;
    }
    const fence = /^(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (fence === null) continue;
    const marker = fence[1]!;
    const language = fence[2]!.toLowerCase();
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith(marker); i++) body.push(lines[i]!);
    if (!RUNNABLE_LANGUAGES.has(language)) continue;
    const count = (perHeading.get(heading) ?? 0) + 1;
    perHeading.set(heading, count);
    examples.push({ name: count === 1 ? heading : `${heading} (${count})`, language, code: body.join('\n'), line: start + 1 });
  }
  return examples;
}

/** Rewrites the package's own name, and other bare imports, to file URLs (the example runs outside the project). */
function rewriteImports(code: string, packageEntry: string): string {
  return code.replace(/(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\2/g, (whole, lead: string, quote: string, specifier: string) => {
    if (specifier === 'xopstream') return `${lead}${quote}${packageEntry}${quote}`;
    if (specifier.startsWith('node:') || specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':')) return whole;
    // A dev dependency (express, fastify, ...): resolved from the project, where it is installed.
    return `${lead}${quote}${import.meta.resolve(specifier)}${quote}`;
  });
}

function transpile(example: Example): string {
  const output = ts.transpileModule(example.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: 'example.ts',
    reportDiagnostics: false,
  });
  return output.outputText;
}

interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }

function runNode(file: string, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, XOPSTREAM_ROOT: projectRoot };
    delete env['NODE_V8_COVERAGE']; // c8 runs the suite; a child's coverage of dist/ is not the README's business
    const child = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, EXAMPLE_TIMEOUT_MS);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, timedOut }); });
  });
}

const readme = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
const examples = extractExamples(readme);
const packageEntry = pathToFileURL(path.join(projectRoot, 'dist', 'src', 'index.js')).href;

test('the README has runnable examples for every layer', () => {
  const names = examples.map((example) => example.name);
  for (const layer of ['Parse', 'SOAP and XOP', 'Caches', 'Receive', 'Send']) {
    assert.ok(names.some((name) => name.startsWith(layer)), `no ts/js example under a heading starting with "${layer}": ${names.join(', ')}`);
  }
});

test('the extractor takes ts/js fences only, named after their heading', () => {
  const found = extractExamples('# A\n```sh\nls\n```\n## B\n```ts\nconst x = 1;\n```\n```js\nlet y;\n```\n```xml\n<a/>\n```\n');
  assert.deepEqual(found.map((e) => [e.name, e.language, e.code]), [['B', 'ts', 'const x = 1;'], ['B (2)', 'js', 'let y;']]);
});

/** Transpiles, rewrites and runs one example in a fresh temp directory. */
async function runExample(example: Example): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xopstream-readme-'));
  try {
    const file = path.join(dir, 'example.mjs');
    fs.writeFileSync(file, rewriteImports(transpile(example), packageEntry));
    return await runNode(file, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a README example that fails its assert or throws fails its subtest', async () => {
  const failing = await runExample({ name: 'failing', language: 'ts', line: 0,
    code: "import assert from 'node:assert/strict';\nimport { MemoryCache } from 'xopstream';\nconst n: number = (await new MemoryCache().list('unknown')).length;\nassert.equal(n, 1);" });
  assert.notEqual(failing.code, 0);
  assert.match(failing.stderr, /AssertionError/);
  const passing = await runExample({ name: 'passing', language: 'ts', line: 0,
    code: "import { MemoryCache } from 'xopstream';\nconst cache = new MemoryCache();\nawait cache.close();" });
  assert.equal(passing.code, 0, passing.stderr);
});

/** A wrong call (receive() needs its options): the type check must report it, or it checks nothing. */
const TYPE_CANARY: Example = { name: 'type canary', language: 'ts', line: 0,
  code: "import { receive } from 'xopstream';\nawait receive([new Uint8Array(0)]);" };

/** Type-checks examples (strict, as written) against src/index.ts; returns the problems per example, in order. */
function typeProblems(list: readonly Example[]): string[][] {
  // Inside the project, not under os.tmpdir(): NodeNext resolution of a bare
  // import such as 'fastify' needs a node_modules among the directory's
  // ancestors, whatever `paths` says (it passed only where /tmp had one above it).
  const dir = fs.mkdtempSync(path.join(projectRoot, '.readme-types-'));
  try {
    const files = list.map((example, i) => {
      const file = path.join(dir, `example-${i}.mts`);
      fs.writeFileSync(file, `${example.code}\nexport {};\n`); // `export {}`: a module even without imports
      return file;
    });
    const modules = path.join(projectRoot, 'node_modules');
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022, lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'], module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, skipLibCheck: true,
      types: ['node'], typeRoots: [path.join(modules, '@types')], baseUrl: dir,
      paths: { xopstream: [path.join(projectRoot, 'src', 'index.ts')], '*': [`${modules}/*`, `${modules}/@types/*`] },
    });
    const problems: string[][] = list.map(() => []);
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const index = diagnostic.file === undefined ? -1 : files.indexOf(diagnostic.file.fileName);
      if (index === -1 || diagnostic.start === undefined) {
        problems[0]!.push(`${diagnostic.file?.fileName ?? '(global)'}: ${text}`); // not in an example: still a failure
        continue;
      }
      const at = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
      problems[index]!.push(`README.md:${list[index]!.line + 1 + at.line} (${list[index]!.name}): ${text}`);
    }
    return problems;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('every README example type-checks against the sources (the API exactly as it is)', () => {
  const [canary, ...problems] = typeProblems([TYPE_CANARY, ...examples]);
  assert.match(canary!.join('\n'), /Expected 2 arguments/, 'the type check did not catch a wrong call');
  assert.deepEqual(problems.flat(), []);
});

for (const example of examples) {
  test(`README example: ${example.name}`, async () => {
    const result = await runExample(example);
    const where = `README.md:${example.line} (${example.name})`;
    assert.equal(result.timedOut, false, `${where}: the example did not finish within ${EXAMPLE_TIMEOUT_MS} ms\n${result.stderr}`);
    assert.equal(result.code, 0, `${where}: the example exited with ${result.code ?? result.signal}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`);
  });
}
