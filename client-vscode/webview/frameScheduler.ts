// Runs a render at most once per animation frame, however many deltas arrive in between.

export type RequestFrame = (callback: () => void) => unknown;

export class FrameScheduler {
  private pending = false;

  constructor(
    private readonly render: () => void,
    private readonly requestFrame: RequestFrame = (callback) => requestAnimationFrame(callback),
  ) {}

  schedule(): void {
    if (this.pending) return;
    this.pending = true;
    this.requestFrame(() => this.flush());
  }

  /** Render now if a render is due (e.g. before the answer is finalized). */
  flush(): void {
    if (!this.pending) return;
    this.pending = false;
    this.render();
  }
}
