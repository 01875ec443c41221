/** What every handler reads: the core, the metrics, the log streams and the API's own state. */
import type { Effect } from "effect";
import type { InvalidInput } from "../../domain/errors.ts";
import type { CreateResult, StoreError } from "../../persistence/index.ts";
import type { HodeiMetrics } from "../../metrics/metrics.ts";
import type { SupervisorCore } from "../../supervisor/core.ts";
import type { Keyring } from "../auth/keyring.ts";
import { ApiFailure } from "../errors.ts";
import type { EventHub } from "../events/event-hub.ts";
import type { LogStreams } from "../log-stream.ts";
import type { UiLinks } from "../ui/links.ts";
import type { NormalizedApiOptions } from "../options.ts";

export interface ApiContext {
  readonly core: SupervisorCore;
  readonly metrics: HodeiMetrics;
  readonly logs: LogStreams;
  /** The bus's topics as Server-Sent Events, and the overview. */
  readonly events: EventHub;
  /** One-time links that hand a token to the dashboard (`hodei ui`). */
  readonly uiLinks: UiLinks;
  readonly options: NormalizedApiOptions;
  /** The API tokens (the store's, and the configured admin token). */
  readonly keyring: Keyring;
  /** False once the process stops accepting new jobs (shutdown). */
  readonly accepting: () => boolean;
  readonly startedAt: number;
  /** `core.submit`, with concurrent calls coalesced into batches (coalesce.ts). */
  readonly submit: (spec: unknown) => Effect.Effect<CreateResult, InvalidInput | StoreError>;
}

export const shuttingDown = () =>
  new ApiFailure(503, "shutting_down", "the supervisor is shutting down: not accepting new jobs");
