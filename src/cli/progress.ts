import type { Reporter } from '../deploy/execute.js';
import type { PullEvent } from '../runtime/pull.js';

/**
 * Progress on stderr, on a terminal only: each step, pull progress per layer redrawn in place, and the wait for
 * health. Elsewhere (pipes, CI, --json) the final result says what was done.
 */
export class Progress implements Reporter {
  private readonly layers = new Map<string, string>();
  private drawn = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  private get tty(): boolean {
    return this.enabled && this.stream.isTTY === true;
  }

  step(text: string): void {
    if (!this.tty) return;
    this.clearWaiting();
    this.stream.write(`  ${text}\n`);
  }

  waiting(text: string): void {
    if (this.tty) this.stream.write(`\r\x1b[2K  ${text}`);
  }

  /** A handler for one image's pull events; the first event announces the pull. */
  pull(ref: string): (event: PullEvent) => void {
    let announced = false;
    return (event) => {
      if (!announced) this.step(`pull ${ref}`);
      announced = true;
      if (!this.tty) return;
      const line = [event.id, event.status, event.progress].filter(Boolean).join(' ');
      if (event.id === undefined) return void this.stream.write(`  ${line}\n`);
      this.layers.set(event.id, line);
      this.redraw();
    };
  }

  private redraw(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A`);
    for (const line of this.layers.values()) this.stream.write(`\x1b[2K    ${line}\n`);
    this.drawn = this.layers.size;
  }

  private clearWaiting(): void {
    if (this.tty) this.stream.write('\r\x1b[2K');
  }
}
