import { expect, test } from "vitest";
import { FrameScheduler } from "../../../webview/frameScheduler";

function manualFrames(): { requestFrame: (callback: () => void) => void; runFrame: () => void; pending: () => number } {
  let callbacks: (() => void)[] = [];
  return {
    requestFrame: (callback) => void callbacks.push(callback),
    runFrame: () => {
      const due = callbacks;
      callbacks = [];
      due.forEach((callback) => callback());
    },
    pending: () => callbacks.length,
  };
}

test("many schedules within a frame render once", () => {
  const frames = manualFrames();
  let renders = 0;
  const scheduler = new FrameScheduler(() => renders++, frames.requestFrame);
  for (let i = 0; i < 100; i++) scheduler.schedule();
  expect(frames.pending()).toBe(1);
  expect(renders).toBe(0);
  frames.runFrame();
  expect(renders).toBe(1);
  scheduler.schedule();
  frames.runFrame();
  expect(renders).toBe(2);
});

test("flush renders a due render at once, and the frame then does nothing", () => {
  const frames = manualFrames();
  let renders = 0;
  const scheduler = new FrameScheduler(() => renders++, frames.requestFrame);
  scheduler.flush();
  expect(renders).toBe(0);
  scheduler.schedule();
  scheduler.flush();
  expect(renders).toBe(1);
  frames.runFrame();
  expect(renders).toBe(1);
});
