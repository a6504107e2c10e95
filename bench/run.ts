/**
 * `npm run bench` (`node dist/bench/run.js [--quick] [--out DIR]`): parses one
 * multipart/related message of ~64 MB of real PDFs and JPEGs, fed in 64 KiB
 * chunks, with each contestant, after checking that every contestant's output
 * (part count, sizes, sha256) is right. Reports MB/s (10^6 bytes per second,
 * from the median time per message) and the ratios the issue sets targets for,
 * and writes bench/RESULTS.md and bench/results.json.
 *
 * `--quick`: a ~2 MB message and a few iterations, for a smoke run; it writes
 * no files unless `--out` is given.
 *
 * @module
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { projectRoot } from '../test/support/corpus.js';
import { dicer } from './contestants/dicer.js';
import { indexOfLimit } from './contestants/indexof-limit.js';
import type { BodySink, Contestant, PartSink } from './contestants/types.js';
import { xopstreamPush } from './contestants/xopstream-push.js';
import { xopstreamStream } from './contestants/xopstream-stream.js';
import { buildBenchMessage, type BenchMessage } from './messages.js';

const CONTESTANTS: Contestant[] = [xopstreamPush, xopstreamStream, dicer, indexOfLimit];

/** Targets from issue 2. */
const TARGET_VS_DICER = 1.8;
const TARGET_VS_INDEXOF = 0.9;

interface Options {
  quick: boolean;
  out: string | null;
  rounds: number;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 ? argv[outAt + 1] ?? null : quick ? null : path.join(projectRoot, 'bench');
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : quick ? 1 : 5;
  return { quick, out, rounds };
}

/** Checks a contestant's parts against the message's: count, sizes, sha256. */
async function verify(contestant: Contestant, message: BenchMessage): Promise<void> {
  const got: Array<{ size: number; sha256: string }> = [];
  const sink: PartSink = {
    begin() {
      const entry = { size: 0, sha256: '' };
      got.push(entry);
      const hash = crypto.createHash('sha256');
      return {
        data(view) { hash.update(view); entry.size += view.length; },
        end() { entry.sha256 = hash.digest('hex'); },
      };
    },
  };
  await contestant.parse(message, sink);
  const want = message.parts.map((p) => ({ size: p.size, sha256: p.sha256 }));
  if (got.length !== want.length) {
    throw new Error(`${contestant.name}: ${got.length} parts, expected ${want.length}`);
  }
  got.forEach((p, i) => {
    if (p.size !== want[i]!.size || p.sha256 !== want[i]!.sha256) {
      throw new Error(`${contestant.name}: part ${i} has ${p.size} bytes / ${p.sha256}, expected ${want[i]!.size} / ${want[i]!.sha256}`);
    }
  });
}

/** What timing uses: counts bytes, so that the sink costs next to nothing. */
function countingSink(): PartSink & { bytes: number; parts: number } {
  const counter = {
    bytes: 0,
    parts: 0,
    begin(): BodySink {
      counter.parts++;
      return body;
    },
  };
  const body: BodySink = {
    data(view) { counter.bytes += view.length; },
    end() {},
  };
  return counter;
}

interface Row {
  name: string;
  description: string;
  /** Median over rounds of each round's median time per message. */
  medianMs: number;
  mbPerSecond: number;
  /** The fastest single parse seen: the least disturbed by other load on a shared machine. */
  bestMs: number;
  bestMbPerSecond: number;
  samples: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(message: BenchMessage, options: Options): Promise<Row[]> {
  const perContestant = new Map<string, number[]>();
  const best = new Map<string, number>();
  const sampleCount = new Map<string, number>();
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({
      time: options.quick ? 100 : 3000,
      iterations: options.quick ? 3 : 10,
      warmupTime: options.quick ? 20 : 500,
      warmupIterations: options.quick ? 1 : 3,
      throws: true,
    });
    for (const contestant of CONTESTANTS) {
      bench.add(contestant.name, async () => {
        const sink = countingSink();
        await contestant.parse(message, sink);
        if (sink.bytes === 0) throw new Error(`${contestant.name} produced nothing`);
      });
    }
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result as { state: string; latency?: { p50: number; min: number; samplesCount?: number }; error?: unknown };
      if (result.state !== 'completed' || result.latency === undefined) {
        throw new Error(`${task.name}: ${result.state} ${String(result.error ?? '')}`);
      }
      const list = perContestant.get(task.name) ?? [];
      list.push(result.latency.p50);
      perContestant.set(task.name, list);
      best.set(task.name, Math.min(best.get(task.name) ?? Infinity, result.latency.min));
      sampleCount.set(task.name, (sampleCount.get(task.name) ?? 0) + (result.latency.samplesCount ?? 0));
    }
  }
  const mbps = (ms: number): number => message.message.length / 1e6 / (ms / 1000);
  return CONTESTANTS.map((c) => {
    const medianMs = median(perContestant.get(c.name)!);
    const bestMs = best.get(c.name)!;
    return {
      name: c.name,
      description: c.description,
      medianMs,
      mbPerSecond: mbps(medianMs),
      bestMs,
      bestMbPerSecond: mbps(bestMs),
      samples: sampleCount.get(c.name)!,
    };
  });
}

function machine(): { cpu: string; cores: number; node: string; platform: string; memoryGiB: number } {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

function report(message: BenchMessage, rows: Row[], options: Options): { markdown: string; json: unknown } {
  const m = machine();
  const by = (name: string): Row => rows.find((r) => r.name === name)!;
  const ratio = (a: Contestant, b: Contestant, field: 'mbPerSecond' | 'bestMbPerSecond'): number => by(a.name)[field] / by(b.name)[field];
  const ratiosOf = (field: 'mbPerSecond' | 'bestMbPerSecond') => ({
    pushVsDicer: ratio(xopstreamPush, dicer, field),
    streamVsDicer: ratio(xopstreamStream, dicer, field),
    pushVsIndexOf: ratio(xopstreamPush, indexOfLimit, field),
    streamVsIndexOf: ratio(xopstreamStream, indexOfLimit, field),
  });
  const ratios = ratiosOf('mbPerSecond');
  const bestRatios = ratiosOf('bestMbPerSecond');
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
  const mb = (message.message.length / 1e6).toFixed(1);
  const verdict = (value: number, target: number): string => (value >= target ? 'met' : 'MISSED');
  const lines = [
    `# Benchmark results${options.quick ? ' (quick smoke run)' : ''}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`,
    '',
    `Message: ${mb} MB multipart/related (${message.parts.length} parts: ${message.description}), fed in ${message.chunkSize / 1024} KiB chunks.`,
    `Every contestant's parts (count, sizes, sha256) were verified before timing; the sink only counts bytes.`,
    `MB/s = 10^6 bytes per second. "median": the median over ${options.rounds} tinybench round(s) of each round's median time`,
    `per message. "best": the fastest single parse, the figure least disturbed by other processes on a shared machine`,
    `(load average at the end of this run: ${load}).`,
    '',
    '| contestant | MB/s (median) | ms (median) | MB/s (best) | ms (best) | samples | what it does |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.name} | ${r.mbPerSecond.toFixed(0)} | ${r.medianMs.toFixed(2)} | ${r.bestMbPerSecond.toFixed(0)} | ${r.bestMs.toFixed(2)} | ${r.samples} | ${r.description} |`),
    '',
    '| ratio | median | best | target |',
    '| --- | ---: | ---: | --- |',
    `| xopstream push / dicer | ${ratios.pushVsDicer.toFixed(2)}x | ${bestRatios.pushVsDicer.toFixed(2)}x | ≥ ${TARGET_VS_DICER}x: ${verdict(ratios.pushVsDicer, TARGET_VS_DICER)} |`,
    `| xopstream parseMultipart / dicer | ${ratios.streamVsDicer.toFixed(2)}x | ${bestRatios.streamVsDicer.toFixed(2)}x | ≥ ${TARGET_VS_DICER}x: ${verdict(ratios.streamVsDicer, TARGET_VS_DICER)} |`,
    `| xopstream push / Buffer.indexOf limit | ${(ratios.pushVsIndexOf * 100).toFixed(1)}% | ${(bestRatios.pushVsIndexOf * 100).toFixed(1)}% | ≥ ${TARGET_VS_INDEXOF * 100}%: ${verdict(ratios.pushVsIndexOf, TARGET_VS_INDEXOF)} |`,
    `| xopstream parseMultipart / Buffer.indexOf limit | ${(ratios.streamVsIndexOf * 100).toFixed(1)}% | ${(bestRatios.streamVsIndexOf * 100).toFixed(1)}% | ≥ ${TARGET_VS_INDEXOF * 100}%: ${verdict(ratios.streamVsIndexOf, TARGET_VS_INDEXOF)} |`,
    '',
    `Verdicts use the median column. Run: \`npm run bench\` (${new Date().toISOString().slice(0, 10)}).`,
    '',
  ];
  return {
    markdown: lines.join('\n'),
    json: {
      date: new Date().toISOString(),
      quick: options.quick,
      machine: m,
      message: { bytes: message.message.length, parts: message.parts.length, chunkSize: message.chunkSize, description: message.description },
      rounds: options.rounds,
      results: rows,
      ratios,
      bestRatios,
      loadAverage: os.loadavg(),
      targets: { vsDicer: TARGET_VS_DICER, vsIndexOf: TARGET_VS_INDEXOF },
    },
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const m = machine();
  process.stdout.write(`machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}\n`);
  const message = buildBenchMessage(options.quick ? 2 * 1024 * 1024 : 64 * 1024 * 1024);
  process.stdout.write(`message: ${(message.message.length / 1e6).toFixed(1)} MB, ${message.parts.length} parts, ${message.chunks.length} chunks\n`);
  for (const contestant of CONTESTANTS) await verify(contestant, message);
  process.stdout.write(`verified: ${CONTESTANTS.map((c) => c.name).join(', ')}\n\n`);
  const rows = await measure(message, options);
  const { markdown, json } = report(message, rows, options);
  process.stdout.write(markdown);
  if (options.out !== null) {
    fs.mkdirSync(options.out, { recursive: true });
    fs.writeFileSync(path.join(options.out, 'RESULTS.md'), markdown);
    fs.writeFileSync(path.join(options.out, 'results.json'), JSON.stringify(json, null, 2) + '\n');
    process.stdout.write(`\nwrote ${path.join(options.out, 'RESULTS.md')} and results.json\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
