/** The bus: typed topics, bounded per-subscriber mailboxes, backpressure. See port.ts. */
export { BusClosed, BusService } from "./port.ts";
export type { Bus, Publisher, Subscription, TopicStats } from "./port.ts";
export { DEFAULT_CAPACITY, MAX_CAPACITY, defineTopic } from "./topic.ts";
export type { Message, OverflowPolicy, SubscribeOptions, Topic, TopicOptions } from "./topic.ts";
export { layer as memoryBusLayer, makeMemoryBus, unsafeMakeMemoryBus } from "./memory.ts";
