/**
 * The Faults one spool instance runs with, re-armable between steps: an in-process crash plan (CrashAt: once it
 * fires, every later durable step throws, so the "dead" instance changes nothing on disk) and an errno plan
 * (FailAt: ENOSPC/EIO at a durable step, which the spool must survive without losing anything).
 */
import { CrashAt, FailAt, type CrashPoint, type Faults } from '../../../src/durability/faults';

export class FaultSwitch implements Faults {
  crash = new CrashAt(undefined);
  fail: FailAt | undefined;
  #failPlan: { point: CrashPoint; count: number } | undefined;
  /** Steps since the crash plan was armed (the model disarms a plan that never fires). */
  armedFor = 0;
  armedAt: string | undefined;

  at(point: CrashPoint): void {
    this.crash.at(point);
    this.fail?.at(point);
  }

  get crashed(): CrashPoint | undefined {
    return this.crash.crashed;
  }

  /** Crash at the hit-th time `point` is reached from now on. */
  arm(point: CrashPoint, hit: number): void {
    if (this.crash.crashed) return;
    this.crash = new CrashAt({ point, hit });
    this.armedFor = 0;
    this.armedAt = `${point}:${hit}`;
  }

  disarm(): void {
    if (this.crash.crashed) return;
    this.crash = new CrashAt(undefined);
    this.armedAt = undefined;
  }

  /** kill -9 between two steps. */
  crashNow(): void {
    this.crash.crashNow();
  }

  failNext(point: CrashPoint, code: string, count: number): void {
    this.fail = new FailAt({ point, hit: 1 }, code, count);
    this.#failPlan = { point, count };
  }

  /** Failures planned that have not happened yet. */
  get failuresLeft(): number {
    if (!this.fail || !this.#failPlan) return 0;
    return Math.max(0, this.#failPlan.count - (this.fail.hits.get(this.#failPlan.point) ?? 0));
  }

  clearFailures(): void {
    this.fail = undefined;
    this.#failPlan = undefined;
  }
}
