/**
 * Progress of a long command on stderr, so stdout keeps only the result: a
 * bar when stdout is a terminal (cli-progress); otherwise one plain line each
 * time another `every` steps are done, which keeps logs short.
 */
import { SingleBar } from 'cli-progress';

export interface Progress {
  /** Sets how much is done, with an optional new total, label, unit and plain-line interval (a new phase). */
  update(done: number, change?: { total?: number; label?: string; unit?: string; every?: number }): void;
  stop(): void;
}

const count = new Intl.NumberFormat('en-US');

/** Starts a progress display of `total` steps of `unit`. */
export function startProgress(label: string, total: number, unit: string, every: number): Progress {
  if (process.stdout.isTTY) {
    const bar = new SingleBar({
      format: '{label} [{bar}] {percentage}% | {value}/{total} {unit}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    });
    bar.start(total, 0, { label, unit });
    return {
      update: (done, change) => {
        if (change?.total !== undefined) bar.setTotal(change.total);
        const payload = {
          ...(change?.label !== undefined && { label: change.label }),
          ...(change?.unit !== undefined && { unit: change.unit }),
        };
        bar.update(done, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let current = label;
  let currentUnit = unit;
  let interval = every;
  let next = every;
  return {
    update: (done, change) => {
      if (change?.unit !== undefined) currentUnit = change.unit;
      if (change?.every !== undefined) interval = change.every;
      if (change?.label !== undefined && change.label !== current) {
        current = change.label;
        next = interval;
      }
      if (done < next) return;
      next = (Math.floor(done / interval) + 1) * interval;
      process.stderr.write(`${current}: ${count.format(done)} ${currentUnit}\n`);
    },
    stop: () => {},
  };
}
