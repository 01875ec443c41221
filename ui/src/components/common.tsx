/** Small pieces every page uses: a state badge, an error line, a meter, a confirmable button. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

export const StateBadge = ({ state }: { state: string }) => (
  <span class={`badge state-${state}`} data-state={state}>
    {state.replace("_", " ")}
  </span>
);

export const ErrorNote = ({ error }: { error: string | undefined }) =>
  error === undefined ? null : (
    <p class="error" role="alert">
      {error}
    </p>
  );

export const Loading = () => (
  <p class="muted" aria-live="polite">
    loading…
  </p>
);

/** A bar of `total` with two marks: `reserved` (filled) and `measured` (a line). */
export const Meter = (props: {
  label: string;
  total: number;
  reserved: number;
  measured: number;
  format: (n: number) => string;
}) => {
  const pct = (n: number) => (props.total > 0 ? Math.min(100, (n / props.total) * 100) : 0);
  return (
    <div class="meter-row">
      <div class="meter-label">
        <span>{props.label}</span>
        <span class="muted">
          reserved {props.format(props.reserved)} · measured {props.format(props.measured)} · of{" "}
          {props.format(props.total)}
        </span>
      </div>
      <div
        class="meter"
        role="meter"
        aria-label={`${props.label} reserved`}
        aria-valuemin={0}
        aria-valuemax={props.total}
        aria-valuenow={props.reserved}
      >
        <div class="meter-reserved" style={{ width: `${pct(props.reserved)}%` }} />
        <div class="meter-measured" style={{ left: `${pct(props.measured)}%` }} />
      </div>
    </div>
  );
};

/** A button that runs an action, shows it running, and shows its error next to it. */
export const ActionButton = (props: {
  label: string;
  action: () => Promise<unknown>;
  kind?: "danger" | "primary";
  children?: ComponentChildren;
}) => {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <span class="action">
      <button
        type="button"
        class={props.kind ?? ""}
        disabled={busy}
        aria-label={props.children !== undefined ? props.label : undefined}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          props.action().then(
            () => setBusy(false),
            (e: unknown) => {
              setBusy(false);
              setError(e instanceof Error ? e.message : String(e));
            },
          );
        }}
      >
        {props.children ?? props.label}
      </button>
      {error !== undefined && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
};
