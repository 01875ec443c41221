/**
 * A pipeline's machine as data, and the port that steps it: the state a run keeps in its
 * actor's context (`MachineState`: the machine's persisted snapshot, its timers and how many
 * ids it has issued) and the `Stepper` that takes it with one event to the next state.
 *
 * The stepper is pure: the next state, and what the step started and stopped, are functions of
 * the state, the event and the time given, nothing else (no clock read, no random id). The
 * pipeline actor (actors/pipeline*.ts) uses this port; src/pipeline/stepper.ts implements it
 * with XState.
 */
import type { MachineEvent, StepChild } from "./pipeline-step.ts";

/** The JSON-able form of an XState machine snapshot. */
export interface MachineSnapshot {
  readonly status: string;
  readonly value: unknown;
  readonly context: unknown;
  readonly [k: string]: unknown;
}

/** A delayed event waiting for its time (absolute, epoch ms). */
export interface Timer {
  readonly id: string;
  readonly at: number;
  readonly event: MachineEvent;
}

export interface MachineState {
  readonly snapshot: MachineSnapshot;
  readonly timers: ReadonlyArray<Timer>;
  /**
   * How many ids the run has issued (the keys of the steps it invoked, the ids of its unnamed
   * delayed events): the next one is this number, so ids are unique within the run and the same
   * messages give the same ids. Absent in runs started before ids were counted (their step keys
   * were random UUIDs): counted from 0.
   */
  readonly issued?: number;
}

export type Stepped =
  | {
      readonly ok: true;
      readonly state: MachineState;
      readonly started: ReadonlyArray<StepChild>;
      readonly stopped: ReadonlyArray<StepChild>;
    }
  | { readonly ok: false; readonly reason: string };

export interface Stepper {
  readonly start: (input: unknown, at: number) => Stepped;
  readonly send: (state: MachineState, event: MachineEvent, at: number) => Stepped;
  /** Delivers every timer due at `now`, earliest first. */
  readonly fire: (state: MachineState, now: number) => Stepped;
  /** Whether the machine, in this state, has a transition for the event. */
  readonly accepts: (state: MachineState, event: MachineEvent) => boolean;
  /**
   * The event types the machine has transitions for in its current states: the signals it
   * takes now (a guard may still refuse one). XState's and Hodei's own events are left out.
   */
  readonly signals: (state: MachineState) => ReadonlyArray<string>;
  /** The earliest timer, or null. */
  readonly nextTimer: (state: MachineState) => number | null;
}
