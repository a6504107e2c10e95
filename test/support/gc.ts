/**
 * A full garbage collection for memory assertions, without running the test
 * process with --expose-gc: a bound on memory is about what code keeps alive,
 * not about how long V8 lets garbage (64 KiB stream buffers are external
 * memory, collected in bulk) pile up before collecting it, which varies with
 * load, coverage instrumentation and whatever else the process runs.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
