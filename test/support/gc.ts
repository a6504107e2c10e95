/**
 * A full garbage collection for memory assertions, without running the test
 * process with --expose-gc: a bound on memory is about what code keeps alive,
 * not about how long V8 lets garbage (64 KiB stream buffers are external
 * memory, collected in bulk) pile up before collecting it, which varies with
 * load, coverage instrumentation and whatever else the process runs.
 *
 * It collects twice. V8 frees the backing stores of dead ArrayBuffers on a
 * background thread after a full GC, and `process.memoryUsage().arrayBuffers`
 * still counts them until that sweep ends; the next GC waits for it first. One
 * gc() under load left up to 32 MiB of dead 256 KiB buffers counted (a CI run
 * failed the 64 MiB RedisCache bound that way); two leave ~0
 * (test/support-gc.test.ts).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

export function collectGarbage(): void {
  gc();
  gc(); // finishes the first collection's concurrent ArrayBuffer sweep, so memoryUsage() is exact
}
