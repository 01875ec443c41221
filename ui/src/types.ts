/** The API's shapes, as the server declares them (type-only: nothing of the server is bundled). */
import type { PlacementInfo } from "../../src/api/schemas.ts";
import type { WhoAmI } from "../../src/api/dashboard-schemas.ts";
export type { Job } from "../../src/domain/job.ts";
export type { JobState } from "../../src/domain/job-state.ts";
export type { JobDetail, WorkerSummary } from "../../src/api/schemas.ts";
export type { Overview } from "../../src/api/dashboard-schemas.ts";
export type { PipelineSummary } from "../../src/api/pipeline-schemas.ts";
export type { PipelineRun, RunStep } from "../../src/persistence/pipelines.ts";
export type { LogChunk } from "../../src/persistence/logs.ts";
export type { JobEvent, RunEvent, WorkerEvent } from "../../src/supervisor/topics.ts";
export type Placement = typeof PlacementInfo.Type;
export type Caller = typeof WhoAmI.Type;
export type Role = Caller["role"];
