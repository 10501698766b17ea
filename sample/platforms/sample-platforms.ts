import type { SamplePlatformName } from '../config/sample-config.js';
import { expressPlatform } from './express.platform.js';
import { fastifyPlatform } from './fastify.platform.js';
import type { SamplePlatform } from './sample-platform.js';

/** Each platform the sample runs on, by its `SAMPLE_PLATFORM` name. */
export const SAMPLE_PLATFORM_ADAPTERS: Readonly<Record<SamplePlatformName, SamplePlatform>> = {
  express: expressPlatform,
  fastify: fastifyPlatform,
};
