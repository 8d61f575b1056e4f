/**
 * Which rule-set version is live, and which one (if any) runs in shadow as a
 * challenger. Activations are recorded in the database; the server reads the
 * live version at the start of each ingestion, so an activation applies from
 * the next event on, without a restart. Servers sharing a database learn of
 * one made through another server by {@link Activation.refresh} (see
 * SettingsSync). A version's first activation needs the approval of marketing
 * and of sales; a rollback to a version that was active before does not.
 */
import type { CompiledRuleSet } from '../engine/index';
import { versionCases } from './cases';
import { ApiProblem, conflict, notFound } from './problem';
import type { RuleFiles } from './rule-files';
import { TEAMS, type ActivationImpact, type ActivationRecord, type Store, type Team } from './store/index';

export const SYSTEM_ACTOR = 'system';

export class Activation {
  /** The newest activation record (either slot) the versions held here reflect. */
  private applied = 0;

  private constructor(
    private readonly store: Store,
    private readonly files: RuleFiles,
    private current: CompiledRuleSet,
    private shadow: CompiledRuleSet | null,
  ) {}

  /**
   * Restores the recorded active and challenger versions. On a new database
   * the newest valid version in the rules directory becomes active.
   */
  static async start(store: Store, files: RuleFiles, now: () => Date): Promise<Activation> {
    let recorded = await store.activations.latestActivation('active');
    let active = recorded?.toVersion ? await files.get(recorded.toVersion) : undefined;
    if (recorded?.toVersion && !active) throw new Error(`active rule set ${recorded.toVersion} cannot be loaded from ${files.dir}`);
    if (!active) {
      const valid = (await files.list()).filter((entry) => entry.ok);
      const newest = valid[valid.length - 1];
      if (!newest) throw new Error(`no valid rule set (vN.json) in ${files.dir}`);
      active = (await files.get(newest.version))!;
      await store.activations.recordActivation({
        slot: 'active',
        fromVersion: null,
        toVersion: active.version,
        activatedBy: SYSTEM_ACTOR,
        activatedAt: now().toISOString(),
      });
      // Servers starting together on a new database each record one: the newest record is the one that holds.
      recorded = await store.activations.latestActivation('active');
      if (recorded?.toVersion && recorded.toVersion !== active.version) active = await files.get(recorded.toVersion);
      if (!active) throw new Error(`active rule set ${recorded?.toVersion} cannot be loaded from ${files.dir}`);
    }
    const challengerRecord = await store.activations.latestActivation('challenger');
    const challenger = challengerRecord?.toVersion ? ((await files.get(challengerRecord.toVersion)) ?? null) : null;
    const activation = new Activation(store, files, active, challenger);
    activation.applied = Math.max(recorded?.id ?? 0, challengerRecord?.id ?? 0);
    return activation;
  }

  /**
   * Reads the recorded active and challenger versions again and takes them up
   * when another server changed them. A version whose file cannot be loaded
   * here (a rules directory not shared with the server that created it) keeps
   * the current one and throws, for the caller to report.
   */
  async refresh(): Promise<void> {
    const [activeRecord, challengerRecord] = await Promise.all([
      this.store.activations.latestActivation('active'),
      this.store.activations.latestActivation('challenger'),
    ]);
    const activeVersion = activeRecord?.toVersion ?? this.current.version;
    const challengerVersion = challengerRecord?.toVersion ?? null;
    const active = activeVersion === this.current.version ? this.current : await this.files.get(activeVersion);
    const challenger =
      challengerVersion === (this.shadow?.version ?? null)
        ? this.shadow
        : challengerVersion === null
          ? null
          : ((await this.files.get(challengerVersion)) ?? undefined);
    if (!active) throw new Error(`active rule set ${activeVersion} cannot be loaded from ${this.files.dir}`);
    if (challenger === undefined) throw new Error(`challenger rule set ${challengerVersion} cannot be loaded from ${this.files.dir}`);
    // An activation through this server may have been applied while these were read: keep the newer.
    const newest = Math.max(activeRecord?.id ?? 0, challengerRecord?.id ?? 0);
    if (newest < this.applied) return;
    this.applied = newest;
    this.current = active;
    this.shadow = challenger;
  }

  get active(): CompiledRuleSet {
    return this.current;
  }

  get challenger(): CompiledRuleSet | null {
    return this.shadow;
  }

  /**
   * Makes `version` the live rule set; recorded with who and when. A version
   * never active before needs the approval of every team ({@link TEAMS});
   * one that was active before may come back without (a rollback). A
   * version whose cases fail is refused, rollback or not. The record keeps
   * what the activation was expected to change, when known.
   */
  async activate(version: string, by: string, at: string, impact: ActivationImpact | null = null): Promise<ActivationRecord> {
    const ruleSet = await this.loadOrThrow(version);
    await this.checkCases(ruleSet);
    const missing = await this.missingApprovals(version);
    if (missing.length > 0) {
      throw conflict(
        `${version} needs the approval of ${missing.join(' and ')} before its first activation.`,
        missing.map((team) => ({ path: 'approvals', message: `no approval from ${team}` })),
      );
    }
    const record = await this.store.activations.recordActivation({
      slot: 'active',
      fromVersion: this.current.version,
      toVersion: version,
      activatedBy: by,
      activatedAt: at,
      impact,
    });
    this.current = ruleSet;
    this.applied = Math.max(this.applied, record.id);
    if (this.shadow?.version === version) {
      const cleared = await this.store.activations.recordActivation({
        slot: 'challenger',
        fromVersion: version,
        toVersion: null,
        activatedBy: by,
        activatedAt: at,
      });
      this.shadow = null;
      this.applied = Math.max(this.applied, cleared.id);
    }
    await this.store.settings.publish('activation');
    return record;
  }

  /** Sets (or with null, clears) the challenger evaluated in shadow on every live event. */
  async setChallenger(version: string | null, by: string, at: string): Promise<ActivationRecord> {
    const ruleSet = version === null ? null : await this.loadOrThrow(version);
    if (version !== null && version === this.current.version)
      throw conflict(`${version} is the active version; a challenger must differ from it`);
    const record = await this.store.activations.recordActivation({
      slot: 'challenger',
      fromVersion: this.shadow?.version ?? null,
      toVersion: version,
      activatedBy: by,
      activatedAt: at,
    });
    this.shadow = ruleSet;
    this.applied = Math.max(this.applied, record.id);
    await this.store.settings.publish('activation');
    return record;
  }

  /** Teams that still have to approve `version` before it may be activated; none for a version that was active before. */
  async missingApprovals(version: string): Promise<Team[]> {
    if (await this.store.activations.wasActive(version)) return [];
    const reviews = await this.store.activations.approvals(version);
    const approved = new Set(reviews.filter((review) => review.decision === 'approved').map((review) => review.team));
    return TEAMS.filter((team) => !approved.has(team));
  }

  /** Runs the version's cases; throws a conflict listing each failing case with its first difference. */
  private async checkCases(ruleSet: CompiledRuleSet): Promise<void> {
    const cases = await versionCases(this.files, ruleSet);
    if (!cases.ok) throw new ApiProblem(409, 'invalid-rule-set', `The cases of ${ruleSet.version} do not load.`, cases.problems);
    const results = cases.results;
    const failing = results.filter((result) => !result.passed);
    if (failing.length === 0) return;
    throw new ApiProblem(
      409,
      'failing-cases',
      `${failing.length} of ${results.length} cases of ${ruleSet.version} fail; a version is activated only when all pass.`,
      failing.map((result) => ({ path: `cases["${result.name}"]`, message: result.differences[0]!.message })),
      { cases: failing.map(({ name, differences, actual, asOf }) => ({ name, asOf, differences, actual })) },
    );
  }

  private async loadOrThrow(version: string): Promise<CompiledRuleSet> {
    const loaded = await this.files.load(version);
    if (loaded.ok) return loaded.ruleSet;
    if ('missing' in loaded) throw notFound(`No rule set version ${version}.`);
    throw new ApiProblem(409, 'invalid-rule-set', `Rule set ${version} does not load.`, loaded.problems);
  }
}
