/**
 * What activating a version would change, read from a comparison of the
 * active version (first) with it on past data: hand-offs per week under each,
 * and how many leads change band, hand-off or stage. The version page shows
 * it before an activation or a rollback, and the activation record keeps it.
 */
import type { ReplayReport, VersionDiff } from '../engine/index';
import type { Comparison, Comparisons } from './comparisons/registry';
import { conflict, notFound } from './problem';
import type { ActivationImpact } from './store/index';

/** Whether a comparison replays `active` first and `version` beside it: the one an activation of `version` is judged by. */
export function comparesActivation(comparison: Comparison, active: string, version: string): boolean {
  return (
    comparison.source === 'replay' &&
    comparison.status !== 'failed' &&
    comparison.versions[0] === active &&
    comparison.versions.includes(version)
  );
}

/** The newest comparison kept of the active version against `version`, running or done. */
export function latestImpactComparison(comparisons: Comparisons, active: string, version: string): Comparison | undefined {
  return comparisons.newest((comparison) => comparesActivation(comparison, active, version));
}

/** The impact of activating `to` in place of `from`, from a finished comparison of the two (undefined while it runs). */
export function impactOf(comparison: Comparison, from: string, to: string): ActivationImpact | undefined {
  if (comparison.report === undefined) return undefined;
  const report = JSON.parse(comparison.report) as Pick<ReplayReport, 'versions'> & { diffs: VersionDiff[] };
  const perWeek = (version: string) => report.versions.find((v) => v.version === version)?.workload.meanPerWeek ?? null;
  const diff = report.diffs.find((d) => d.from === from && d.to === to);
  if (!diff) return undefined;
  return {
    comparison: comparison.id,
    from,
    to,
    handOffsPerWeek: { from: perWeek(from), to: perWeek(to) },
    leads: diff.leads,
    bandChanged: diff.bandChanged,
    handOffChanged: diff.handOffChanged,
    stageChanged: diff.stageChanged,
  };
}

/**
 * The impact an activation of `version` records: from the comparison named,
 * which must be a finished one of the active version against it, or else from
 * the newest finished one kept; null when there is none.
 */
export function activationImpact(comparisons: Comparisons, active: string, version: string, named?: string): ActivationImpact | null {
  if (named !== undefined) {
    const comparison = comparisons.get(named);
    if (!comparison) throw notFound(`No comparison "${named}" (finished ones are kept in memory, the last 20, until a restart).`);
    if (!comparesActivation(comparison, active, version))
      throw conflict(`Comparison "${named}" does not replay the active version ${active} against ${version}.`);
    const impact = impactOf(comparison, active, version);
    if (!impact) throw conflict(`Comparison "${named}" is ${comparison.status}: its impact is known once it is done.`);
    return impact;
  }
  const finished = comparisons.newest((comparison) => comparison.status === 'done' && comparesActivation(comparison, active, version));
  return (finished && impactOf(finished, active, version)) ?? null;
}
