/** The schedule routes of the HTTP API, for the CLI (types from api/schedule-schemas.ts). */
import type { Firing, ScheduleView } from "../api/schedule-schemas.ts";
import { ApiClient } from "./api-client.ts";

export type Schedule = typeof ScheduleView.Type;
export type ScheduleFiring = typeof Firing.Type;

const at = (name: string) => `/schedules/${encodeURIComponent(name)}`;

export class ScheduleClient extends ApiClient {
  list = async (): Promise<ReadonlyArray<Schedule>> =>
    (await this.call<{ schedules: Schedule[] }>("GET", "/schedules")).data.schedules;
  get = async (name: string): Promise<Schedule> =>
    (await this.call<Schedule>("GET", at(name))).data;
  create = async (spec: unknown): Promise<Schedule> =>
    (await this.call<Schedule>("POST", "/schedules", spec)).data;
  remove = async (name: string): Promise<void> => {
    await this.call<unknown>("DELETE", at(name));
  };
  pause = async (name: string): Promise<Schedule> =>
    (await this.call<Schedule>("POST", `${at(name)}/pause`)).data;
  resume = async (name: string): Promise<Schedule> =>
    (await this.call<Schedule>("POST", `${at(name)}/resume`)).data;
  trigger = async (name: string): Promise<ScheduleFiring> =>
    (await this.call<ScheduleFiring>("POST", `${at(name)}/trigger`)).data;
}
