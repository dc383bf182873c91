/**
 * The live progress line of `rxmqtt bench`, redrawn every second on stderr when stderr is a
 * terminal (never in a pipe or a log file, where only the final summary belongs).
 */
import { performance } from 'node:perf_hooks';

const REDRAW_MS = 1000;
const CLEAR_LINE = '\r\x1b[2K';

export interface Progress {
  /** Stops redrawing and clears the line. */
  stop(): void;
}

/**
 * Redraws `render(elapsedMs, sinceLastMs)` every second while the run goes.
 *
 * @param render The line (no newline), from the ms since start and since the previous redraw.
 * @param stream Where to draw: a TTY, or nothing is drawn.
 */
export function startProgress(render: (elapsedMs: number, sinceLastMs: number) => string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { stop: () => undefined };
  const started = performance.now();
  let last = started;
  const timer = setInterval(() => {
    const now = performance.now();
    const line = render(now - started, now - last);
    last = now;
    stream.write(CLEAR_LINE + line.slice(0, Math.max(20, (stream.columns || 100) - 1)));
  }, REDRAW_MS);
  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write(CLEAR_LINE);
    },
  };
}
