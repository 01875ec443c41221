/**
 * The schedule routes (supervisor/schedules.ts does the work): create (201, 409 for a name
 * taken), list, get (with the next due times), delete (204), pause, resume, and trigger (201
 * with what the firing made).
 */
import { Effect } from "effect";
import type { Handlers } from "../router.ts";
import { shuttingDown, type ApiContext } from "./context.ts";

const location = (name: string) => `/api/v1/schedules/${encodeURIComponent(name)}`;

export const scheduleHandlers = (
  ctx: ApiContext,
): Pick<
  Handlers,
  | "listSchedules"
  | "createSchedule"
  | "getSchedule"
  | "deleteSchedule"
  | "pauseSchedule"
  | "resumeSchedule"
  | "triggerSchedule"
> => {
  const { schedules } = ctx.core;
  return {
    listSchedules: () =>
      Effect.map(schedules.list(), (list) => ({ status: 200, body: { schedules: list } })),
    createSchedule: ({ payload }) =>
      Effect.map(schedules.create(payload), (view) => ({
        status: 201,
        body: view,
        headers: { location: location(view.spec.name) },
      })),
    getSchedule: ({ path }) =>
      Effect.map(schedules.get(path.name), (view) => ({ status: 200, body: view })),
    deleteSchedule: ({ path, res }) =>
      Effect.map(schedules.remove(path.name), () => {
        res.writeHead(204).end();
        return { streamed: true as const, status: 204 };
      }),
    pauseSchedule: ({ path }) =>
      Effect.map(schedules.pause(path.name), (view) => ({ status: 200, body: view })),
    resumeSchedule: ({ path }) =>
      Effect.map(schedules.resume(path.name), (view) => ({ status: 200, body: view })),
    triggerSchedule: ({ path }) =>
      ctx.accepting()
        ? Effect.map(schedules.trigger(path.name), (firing) => ({ status: 201, body: firing }))
        : Effect.fail(shuttingDown()),
  };
};
