/**
 * Decoding RegisterWorker: what the agent declares (capacity, labels, handlers) is checked with
 * the same schemas the supervisor keeps workers in, so a refusal names the field
 * (`capacity.cpuMillis`, `labels.bad key!`) and nothing malformed is ever registered.
 *
 * `workerId` is empty on a first registration (proto3 has no "absent" for strings), and becomes
 * an absent `workerId` in the `Registration` the core receives.
 */
import { Either, Schema } from "effect";
import { decodeWith } from "../domain/decode.ts";
import type { InvalidInput } from "../domain/errors.ts";
import { WorkerId } from "../domain/ids.ts";
import { expected } from "../domain/primitives.ts";
import { WorkerCapacity, WorkerInfo } from "../domain/worker.ts";
import type { Registration } from "../supervisor/gateway.ts";
import { JobRefWire } from "./wire-schemas.ts";

const isWorkerId = Schema.is(WorkerId);

const OptionalWorkerId = Schema.String.pipe(
  Schema.filter(
    (s) => s === "" || isWorkerId(s),
    expected("empty, or a worker id given by the supervisor"),
  ),
);

const RegisterWire = Schema.Struct({
  workerId: OptionalWorkerId,
  name: WorkerInfo.fields.name,
  capacity: WorkerCapacity,
  labels: WorkerInfo.fields.labels,
  handlers: WorkerInfo.fields.handlers,
  /** As many as an agent could run (`maxJobs` is at most 10,000). */
  running: Schema.Array(JobRefWire).pipe(Schema.maxItems(10_000)),
});

const decodeRegisterWire = decodeWith(RegisterWire);

export const decodeRegistration = (u: unknown): Either.Either<Registration, InvalidInput> =>
  Either.map(decodeRegisterWire(u), ({ workerId, ...rest }) =>
    workerId === "" ? rest : { ...rest, workerId },
  );
